// The Doorpass app (org.doorpass.app): Compose screens that draw what the view models of :passui say,
// CameraX + ZXing for the door, WorkManager for background renewal, the Android Keystore for secrets.
// The QA panel exists only in debug builds (src/debug). Properties (android/README.md):
//   doorpass.anchorPem          the issuer's anchor.pub.pem, pinned into the app as res/raw/anchor_pub.pem
//   doorpass.issuerUrl          the issuer of debug builds (default http://<qaIssuerHost>:8080)
//   doorpass.qaIssuerHost       where debug builds find the QA machine (default 10.0.2.2, the emulator's host)
//   doorpass.releaseIssuerUrl   the issuer of release builds (https://…, required to package one)
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

/** The QA machine as the phone sees it. */
val qaIssuerHost: String = providers.gradleProperty("doorpass.qaIssuerHost").getOrElse("10.0.2.2")
/** The issuer of debug builds. */
val debugIssuerUrl: String = providers.gradleProperty("doorpass.issuerUrl").getOrElse("http://$qaIssuerHost:8080")
/** The issuer of release builds (checked before packaging one). */
val releaseIssuerUrl: String = providers.gradleProperty("doorpass.releaseIssuerUrl").getOrElse("")
/** The issuer's anchor.pub.pem, absolute or relative to android/. */
val anchorPemPath: Provider<File> = providers.gradleProperty("doorpass.anchorPem").map { rootProject.file(it) }

android {
    namespace = "org.doorpass.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.doorpass.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs scripts/build-android.sh builds the core for (JNA alone would also bring x86).
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        debug {
            buildConfigField("String", "ISSUER_URL", "\"$debugIssuerUrl\"")
            buildConfigField("String", "QA_ISSUER_HOST", "\"$qaIssuerHost\"")
            // Plain http to the QA machine's dev issuer on the local network.
            buildConfigField("boolean", "ALLOW_PLAIN_HTTP", "true")
        }
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            buildConfigField("String", "ISSUER_URL", "\"$releaseIssuerUrl\"")
            buildConfigField("String", "QA_ISSUER_HOST", "\"\"")
            buildConfigField("boolean", "ALLOW_PLAIN_HTTP", "false")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        isCoreLibraryDesugaringEnabled = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

/** Copies the issuer's anchor public key into a generated resource folder, as raw/anchor_pub.pem. */
abstract class PinAnchorTask : DefaultTask() {
    /** The issuer's anchor.pub.pem (written by `doorpass issuer init`). */
    @get:Optional
    @get:InputFile
    @get:PathSensitive(PathSensitivity.NONE)
    abstract val anchorPem: RegularFileProperty

    /** The generated resource folder. */
    @get:OutputDirectory
    abstract val resourceDir: DirectoryProperty

    /** Checks that the file is a PEM public key and copies it. */
    @TaskAction
    fun pin() {
        val source = anchorPem.orNull?.asFile
            ?: throw GradleException("no trust anchor: build with -Pdoorpass.anchorPem=/path/to/anchor.pub.pem (android/README.md)")
        val pem = source.readText()
        if (!pem.trimStart().startsWith("-----BEGIN PUBLIC KEY-----")) {
            throw GradleException("$source is not a PEM public key (expected the anchor.pub.pem of `doorpass issuer init`)")
        }
        // Resource file names allow no dots before the extension: anchor.pub.pem becomes anchor_pub.pem.
        val raw = resourceDir.get().dir("raw").asFile
        raw.mkdirs()
        File(raw, "anchor_pub.pem").writeText(pem)
    }
}

androidComponents {
    onVariants { variant ->
        val pin = tasks.register<PinAnchorTask>("pin${variant.name.replaceFirstChar(Char::uppercaseChar)}Anchor") {
            anchorPem.fileProvider(anchorPemPath)
        }
        variant.sources.res?.addGeneratedSourceDirectory(pin, PinAnchorTask::resourceDir)
    }
}

/** Refuses to package a release build without its https issuer. */
val checkReleaseIssuer by tasks.registering {
    val url = releaseIssuerUrl
    doLast {
        if (!url.startsWith("https://")) {
            throw GradleException("a release build needs -Pdoorpass.releaseIssuerUrl=https://… (it was '$url')")
        }
    }
}

tasks.matching { it.name == "packageRelease" || it.name == "bundleRelease" }.configureEach {
    dependsOn(checkReleaseIssuer)
}

dependencies {
    implementation(project(":passui"))

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.graphics)
    implementation(libs.androidx.compose.foundation)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.core)

    implementation(libs.androidx.camera.core)
    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
    implementation(libs.zxing.core)

    implementation(libs.androidx.work.runtime.ktx)
    implementation(libs.kotlinx.coroutines.android)

    coreLibraryDesugaring(libs.desugar.jdk.libs)
}
