// The application object: the wallet, the door verifier and the clock, each made once for the whole
// process and shared by the screens and the background renewal worker; it also gives the core the
// app's Context for Android's TLS certificate checks (PlatformTls, docs/mobile.md).
package org.doorpass.app

import android.app.Application
import java.io.File
import org.doorpass.core.Anchor
import org.doorpass.core.DoorVerifier
import org.doorpass.core.PlatformTls
import org.doorpass.passui.DoorSettings
import org.doorpass.passui.Loader
import org.doorpass.passui.ShiftedClock
import org.doorpass.passui.WalletHost

/** Opens the wallet and the door verifier on first use; the QA panel (debug) hooks in at start. */
class DoorpassApplication : Application() {
    /** The time the core is given; the QA panel can shift it in debug builds. */
    val clock = ShiftedClock()

    /** The issuer's anchor key, pinned at build time (res/raw/anchor_pub.pem, android/README.md). */
    private val anchor: Anchor by lazy {
        Anchor.Pem(resources.openRawResource(R.raw.anchor_pub).bufferedReader().use { it.readText() })
    }

    /**
     * The wallet in filesDir/wallet, its secrets in the Android Keystore and its holder key a
     * Keystore P-256 key (StrongBox when present) that never leaves the hardware. Opening blocks
     * (files, fsync, a lock): screens go through [walletLoader], the background worker is off the UI
     * thread already. Throws when it cannot be opened; the next use tries again.
     */
    val walletHost: WalletHost by lazy {
        WalletHost(
            home = File(filesDir, "wallet").apply { mkdirs() }.path,
            anchor = anchor,
            secretStore = AndroidKeystoreSecretStore(this),
            issuerUrl = BuildConfig.ISSUER_URL,
            allowPlainHttp = BuildConfig.ALLOW_PLAIN_HTTP,
            bootClock = ElapsedRealtimeBootClock(this),
            holderSigner = KeystoreHolderSigner(this),
        )
    }

    /**
     * The door verifier in filesDir/door, taking trust lists from the same issuer. Opening blocks:
     * screens go through [doorLoader]. Throws when it cannot be opened; the next use tries again.
     */
    val doorVerifier: DoorVerifier by lazy {
        DoorVerifier.open(
            File(filesDir, "door").apply { mkdirs() }.path,
            anchor,
            doorSettings.config(BuildConfig.ISSUER_URL),
        )
    }

    /** Opens [walletHost] off the UI thread for the tabs (Pass, QA), which show it loading. */
    val walletLoader: Loader<WalletHost> by lazy { Loader(clock) { walletHost } }

    /** Opens [doorVerifier] off the UI thread for the Check passes tab. */
    val doorLoader: Loader<DoorVerifier> by lazy { Loader(clock) { doorVerifier } }

    /** What door staff chose in the door settings, kept in the app's private preferences. */
    var doorSettings: DoorSettings
        get() {
            val kept = getSharedPreferences(DOOR_PREFERENCES, MODE_PRIVATE)
            return DoorSettings(
                requireRevocationCheck = kept.getBoolean(REQUIRE_REVOCATION_CHECK, false),
                refuseUnrevocable = kept.getBoolean(REFUSE_UNREVOCABLE, false),
                requireHardwareKey = kept.getBoolean(REQUIRE_HARDWARE_KEY, false),
                kioskMode = kept.getBoolean(KIOSK_MODE, false),
            )
        }
        set(value) {
            getSharedPreferences(DOOR_PREFERENCES, MODE_PRIVATE).edit()
                .putBoolean(REQUIRE_REVOCATION_CHECK, value.requireRevocationCheck)
                .putBoolean(REFUSE_UNREVOCABLE, value.refuseUnrevocable)
                .putBoolean(REQUIRE_HARDWARE_KEY, value.requireHardwareKey)
                .putBoolean(KIOSK_MODE, value.kioskMode)
                .apply()
        }

    private companion object {
        const val DOOR_PREFERENCES = "checks"
        const val REQUIRE_REVOCATION_CHECK = "require_revocation_check"
        const val REFUSE_UNREVOCABLE = "refuse_unrevocable"
        const val REQUIRE_HARDWARE_KEY = "require_hardware_key"
        const val KIOSK_MODE = "kiosk_mode"
    }

    /**
     * Hands the core this Application for its TLS checks (before anything can open the wallet or the
     * door, which are made on first use), then lets the build variant hook in (debug: the core's log
     * for the QA panel).
     */
    override fun onCreate() {
        super.onCreate()
        PlatformTls.init(this)
        BuildVariant.onApplicationCreated(this)
    }
}
