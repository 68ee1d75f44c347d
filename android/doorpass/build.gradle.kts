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

/**
 * The version of rustls-platform-verifier's Android library: the one of the
 * `rustls-platform-verifier-android` crate in the workspace Cargo.lock, as the crate's README
 * prescribes. The Rust verifier calls into that library by class and method name, so any other
 * version may fail at run time; read through a ValueSource, so a change of the lock file is seen
 * by the configuration cache.
 */
abstract class RustlsPlatformVerifierVersion : ValueSource<String, RustlsPlatformVerifierVersion.Params> {
    interface Params : ValueSourceParameters {
        /** The workspace's Cargo.lock. */
        val lockFile: RegularFileProperty
    }

    override fun obtain(): String {
        val lockFile = parameters.lockFile.get().asFile
        val lines = lockFile.readLines()
        val name = lines.indexOfFirst { it.trim() == "name = \"$CRATE\"" }
        val version = if (name < 0) null else lines.drop(name + 1)
            .firstOrNull { it.trim().startsWith("version = ") }
            ?.substringAfter('"')?.substringBefore('"')
        return version?.takeIf { it.isNotEmpty() }
            ?: throw GradleException("$CRATE is not in $lockFile: does the core still use rustls-platform-verifier?")
    }

    companion object {
        const val CRATE = "rustls-platform-verifier-android"
    }
}

val rustlsPlatformVerifierVersion: Provider<String> = providers.of(RustlsPlatformVerifierVersion::class.java) {
    parameters.lockFile.set(rootProject.layout.projectDirectory.file("../Cargo.lock"))
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
    // The Kotlin half of the core's TLS check (docs/mobile.md, "Android: TLS set-up"), at exactly
    // the version Cargo.lock pins; apps get it with this module. Its R8 rule is in consumer-rules.pro.
    implementation(libs.rustls.platform.verifier) {
        version { strictly(rustlsPlatformVerifierVersion.get()) }
    }

    // The JVM tests load the host's libjnidispatch from the plain JNA jar.
    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
