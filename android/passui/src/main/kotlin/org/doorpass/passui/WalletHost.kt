// The one open wallet of the app, and reopening it when QA points it at another issuer or after a
// wipe. Also where "simulate offline" lives: the view models then make no network call at all.
// Opening reads files and takes the wallet's lock: the constructor blocks, so the app makes the host
// through [Loader] (off the UI thread), and [switchIssuer] / [reopen] run on the IO dispatcher. A
// replaced wallet is closed, so its lock and files are let go once the calls still on it are done.
package org.doorpass.passui

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.doorpass.core.Anchor
import org.doorpass.core.BootClock
import org.doorpass.core.HolderSigner
import org.doorpass.core.SecretStore
import org.doorpass.core.Wallet
import org.doorpass.core.WalletConfig

/** Opens and holds the wallet kept in the app folder [home]. */
class WalletHost(
    private val home: String,
    private val anchor: Anchor,
    /** The app's secret store (Keystore / Keychain backed); `null` for the core's platform default. */
    private val secretStore: SecretStore?,
    issuerUrl: String,
    /** Plain `http://` to a QA issuer on the local network (debug builds only). */
    private val allowPlainHttp: Boolean = false,
    /**
     * The device's clock since boot (the app passes `SystemClock.elapsedRealtime()`): codes stay on
     * the true time when the phone's clock is set ahead or back. `null`: the core reads its own.
     */
    private val bootClock: BootClock? = null,
    /**
     * The holder key in the phone's secure hardware (the app passes its Keystore signer): new
     * enrolments bind it, and passes with a software key move to it at their next authentication.
     * `null`: software keys in [secretStore].
     */
    private val holderSigner: HolderSigner? = null,
    /** Where [switchIssuer] and [reopen] open the wallet: never the UI thread. */
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    /** The issuer the wallet talks to. */
    @Volatile
    var issuerUrl: String = issuerUrl
        private set

    /** QA: behave as if there were no network (no call leaves the app). */
    @Volatile
    var simulateOffline: Boolean = false

    /** The wallet; replaced by [switchIssuer] and [reopen]. */
    @Volatile
    var wallet: Wallet = openWallet(issuerUrl, replaceIssuer = false)
        private set

    /**
     * QA: points the wallet at another issuer (explicitly replacing the recorded one), on [io]. When
     * the wallet cannot be opened for it, nothing changes; otherwise the old wallet is closed.
     */
    suspend fun switchIssuer(url: String) {
        replace(withContext(io) { openWallet(url, replaceIssuer = true) })
        issuerUrl = url
    }

    /** Opens the wallet again (after a wipe, a fresh one), on [io]; the old one is closed. */
    suspend fun reopen() {
        replace(withContext(io) { openWallet(issuerUrl, replaceIssuer = false) })
    }

    /**
     * Puts [fresh] in place and closes the wallet it replaces (the core's close: it waits for the
     * issuer call under way on it, then refuses further calls with InUse), so two handles never
     * renew or write the same folder. A view model still holding the old one gets that error as a
     * message, and its next call uses the new wallet.
     */
    private suspend fun replace(fresh: Wallet) {
        val old = wallet
        wallet = fresh
        try {
            old.closeAndWait()
        } catch (e: Throwable) {
            // Already closed, or it cannot say: the new wallet is in place either way.
            rethrowIfCancelled(e)
        }
    }

    private fun openWallet(url: String, replaceIssuer: Boolean): Wallet = Wallet.open(
        home,
        WalletConfig(
            issuerUrl = url,
            anchor = anchor,
            allowPlainHttp = allowPlainHttp,
            httpTimeoutSeconds = 10u,
            replaceIssuerUrl = replaceIssuer,
        ),
        secretStore,
        bootClock,
        holderSigner,
    )
}
