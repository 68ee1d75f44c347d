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
    }
}

rootProject.name = "doorpass-android"
include(":doorpass", ":passui", ":app")
