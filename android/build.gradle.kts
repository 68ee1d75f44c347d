// The plugins of the Android build (declared once here, applied by the modules that use them) and the
// JVM test set-up shared by :doorpass and :passui, whose unit tests run the generated bindings against
// a host build of the core (android/README.md explains how to run them).
import org.gradle.api.tasks.testing.logging.TestExceptionFormat

plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.compose) apply false
}

/**
 * The folder with the host build of the core, `libdoorpass_ffi.so` (`cargo build -p doorpass-ffi`
 * writes it to target/debug; `.dylib` on macOS), which JNA loads in the JVM tests: an absolute path,
 * or one relative to android/. Without it the unit tests FAIL, naming the command to run: a test run
 * that skipped them would look green while nothing was tested.
 */
val hostLibraryDir: String? = providers.gradleProperty("doorpass.hostLibDir").orNull
    ?.let { rootProject.file(it).absolutePath }

subprojects {
    tasks.withType<Test>().configureEach {
        useJUnitPlatform()
        testLogging {
            events("failed", "skipped")
            exceptionFormat = TestExceptionFormat.FULL
        }
        // The tests read the loopback issuers from DOORPASS_* variables (scripts/test-issuers.sh),
        // which the test JVM inherits from the environment Gradle runs in.
        val libraryDir = hostLibraryDir
        if (libraryDir != null) systemProperty("jna.library.path", libraryDir)
        // The tests do not depend on the build type: they run once, with the debug variant.
        val releaseVariant = name.contains("Release")
        onlyIf("unit tests run in the debug variant only") { !releaseVariant }
        doFirst {
            val names = listOf("libdoorpass_ffi.so", "libdoorpass_ffi.dylib")
            if (libraryDir == null || names.none { File(libraryDir, it).isFile }) {
                throw GradleException(
                    "the host build of the core is missing (${libraryDir ?: "no -Pdoorpass.hostLibDir"}): run " +
                        "`cargo build -p doorpass-ffi` from the repository root, then pass " +
                        "-Pdoorpass.hostLibDir=\$PWD/../target/debug (android/README.md)",
                )
            }
        }
    }
}
