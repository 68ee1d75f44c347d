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
 * writes it to target/debug), which JNA loads in the JVM tests: an absolute path, or one relative to
 * android/. Without it the unit tests are skipped, since they cannot load the core.
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
        onlyIf("-Pdoorpass.hostLibDir names the folder of the host libdoorpass_ffi.so") { libraryDir != null }
        // The tests do not depend on the build type: they run once, with the debug variant.
        val releaseVariant = name.contains("Release")
        onlyIf("unit tests run in the debug variant only") { !releaseVariant }
    }
}
