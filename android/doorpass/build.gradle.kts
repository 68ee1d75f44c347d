// The core for Android: the uniffi-generated Kotlin (package org.doorpass.core) and libdoorpass_ffi.so
// for each ABI, both written by scripts/build-android.sh (generated, not committed); JNA loads the
// library. The one hand-written class, PlatformTls (src/main/java), hands the core the app's Context
// for Android's TLS checks. Its unit tests are the JVM binding tests in src/test/kotlin, run against a host build of
// the core (-Pdoorpass.hostLibDir, see the root build file and android/README.md).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

/** Where scripts/build-android.sh writes the generated Kotlin. */
val generatedKotlinDir: Directory = layout.projectDirectory.dir("src/main/kotlin")

/** Where scripts/build-android.sh writes jniLibs/<abi>/libdoorpass_ffi.so. */
val nativeLibrariesDir: Directory = layout.projectDirectory.dir("src/main/jniLibs")

android {
    namespace = "org.doorpass.core"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets.getByName("main") {
        java.srcDir(generatedKotlinDir.asFile)
        jniLibs.srcDir(nativeLibrariesDir.asFile)
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    lint {
        lintConfig = file("lint.xml")
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

/** Stops the build early, naming the command to run, when the generated core is missing. */
val checkGeneratedCore by tasks.registering {
    val bindings = generatedKotlinDir.file("org/doorpass/core/doorpass_ffi.kt").asFile
    val libraries = nativeLibrariesDir.asFile
    doLast {
        val abis = libraries.listFiles().orEmpty().filter { File(it, "libdoorpass_ffi.so").isFile }
        if (!bindings.isFile || abis.isEmpty()) {
            throw GradleException(
                "the generated core is missing ($bindings, $libraries/<abi>/libdoorpass_ffi.so): " +
                    "run scripts/build-android.sh from the repository root first",
            )
        }
    }
}

tasks.named("preBuild") { dependsOn(checkGeneratedCore) }

dependencies {
    // The generated classes extend JNA types, so JNA is part of this module's API. The AAR carries
    // JNA's native dispatcher for each Android ABI.
    api(libs.jna) {
        artifact {
            name = "jna"
            type = "aar"
            extension = "aar"
        }
    }
    implementation(libs.kotlinx.coroutines.core)

    // The JVM tests load the host's libjnidispatch from the plain JNA jar.
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
