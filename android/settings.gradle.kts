// The Doorpass Android build: the core's generated bindings (:doorpass), the view models in plain
// Kotlin (:passui) and the Compose app (:app). See android/README.md for the properties it reads.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // The Kotlin half of rustls-platform-verifier, the core's TLS certificate check (docs/mobile.md,
        // "Android: TLS set-up"). Its authors publish it as a Maven repository on a branch of their
        // GitHub project, as the crate's README says; only that one module is taken from there.
        exclusiveContent {
            forRepository {
                maven {
                    name = "rustlsPlatformVerifier"
                    url = uri("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/")
                }
            }
            filter { includeModule("org.rustls", "rustls-platform-verifier") }
        }
    }
}

rootProject.name = "doorpass-android"
include(":doorpass", ":passui", ":app")
