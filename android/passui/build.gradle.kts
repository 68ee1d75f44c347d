// The screens' logic in plain Kotlin (org.doorpass.passui): view models over the core that import no
// android.* or androidx.*, so that their unit tests run on the JVM against a host build of the core and
// real issuers (-Pdoorpass.hostLibDir, see android/README.md), exactly as scripts/kotlin-tests.sh runs
// them without Gradle.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.doorpass.passui"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        // java.time (dates on the pass and door screens) below API 26.
        isCoreLibraryDesugaringEnabled = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

/** Fails when a view model imports the Android framework: they must stay plain Kotlin. */
val checkPlainKotlin by tasks.registering {
    val sources = fileTree("src/main/kotlin") { include("**/*.kt") }
    inputs.files(sources)
    doLast {
        val platformImport = Regex("""^import androidx?\.""", RegexOption.MULTILINE)
        val offenders = sources.files.filter { platformImport.containsMatchIn(it.readText()) }
        if (offenders.isNotEmpty()) {
            throw GradleException("view models must not import android.* or androidx.*: ${offenders.joinToString()}")
        }
    }
}

tasks.named("check") { dependsOn(checkPlainKotlin) }
tasks.named("preBuild") { dependsOn(checkPlainKotlin) }

dependencies {
    api(project(":doorpass"))
    api(libs.kotlinx.coroutines.core)
    coreLibraryDesugaring(libs.desugar.jdk.libs)

    testImplementation(libs.jna)
    testImplementation(libs.kotlin.test.junit5)
    testImplementation(platform(libs.junit.bom))
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
