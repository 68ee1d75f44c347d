// The pass screen: one card per pass (a family swipes between them), each with its QR matrix, the
// rotation countdown, name, kind and expiry, and a label for screen readers; an "offline — this pass
// still works" badge; and a banner when renewal is pending or re-authentication is needed, shown
// before it blocks anyone. Everything here works without the network; only [renewQuietly] uses it.
// Renewal runs even when the trust-list refresh before it failed (the pass's own issuer key is known);
// a banner then says the list could not be updated.
package org.doorpass.passui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.doorpass.core.DoorpassException
import org.doorpass.core.PassState
import org.doorpass.core.PassSummary
import org.doorpass.core.QrView
import org.doorpass.core.RenewalOutcome
import org.doorpass.core.RenewalPlan
import org.doorpass.core.Wallet

/** One pass as the screen draws it. */
data class PassCard(
    /** The pass slot id (stable across renewals). */
    val passId: String,
    /** Holder's name. */
    val holderName: String,
    /** The kind of pass, as a word. */
    val kind: UiText,
    /** "Valid until …". */
    val validity: UiText,
    /** Where the pass stands. */
    val state: PassState,
    /** The code to draw (one byte per module, 1 = dark), or `null` when it cannot be made. */
    val qr: QrView?,
    /** Seconds until the code changes. */
    val secondsUntilRotation: Int,
    /** What a screen reader says for the code. */
    val accessibilityLabel: UiText,
)

/** What the pass screen shows. */
data class PassScreenState(
    /** The passes, in a stable order. */
    val cards: List<PassCard> = emptyList(),
    /** No network the last time it was needed: "offline — this pass still works". */
    val offline: Boolean = false,
    /** A notice above the passes (renewal pending, re-authentication needed, expired). */
    val banner: UiText? = null,
    /** Which pass the banner's button re-authenticates, if it has one. */
    val reauthenticatePassId: String? = null,
    /** No pass yet: show the enrolment screen. */
    val needsEnrolment: Boolean = true,
    /** The last trust-list refresh failed (the passes still work): "could not update the trust list". */
    val trustListRefreshFailed: Boolean = false,
    /** The wallet could not be read (an error other than a pass's state): its message. */
    val error: ErrorView? = null,
)

/** What a quiet renewal did. */
data class QuietRenewal(
    /** Passes renewed. */
    val renewed: Int,
    /** When to try again (device seconds), if anything is scheduled. */
    val nextAttemptAt: ULong?,
    /** From when that attempt goes on any network rather than waiting for good conditions. */
    val relaxAt: ULong? = nextAttemptAt,
) {
    /** The background works to queue for the next attempt. */
    fun queue(): RenewalQueue = renewalQueue(nextAttemptAt, relaxAt)
}

/** The pass screen's logic; the screen calls [refresh] every second and [renewQuietly] now and then. */
class PassViewModel(
    private val host: WalletHost,
    private val clock: DeviceClock,
    private val format: TimeFormat = TimeFormat(),
) {
    private val mutable = MutableStateFlow(PassScreenState())

    /** The current screen state. */
    val state: StateFlow<PassScreenState> = mutable.asStateFlow()

    /** Rebuilds the cards from the wallet (no network): call on start and every second. */
    fun refresh() {
        val now = clock.now()
        val wallet = host.wallet
        val passes = try {
            wallet.passes(now)
        } catch (e: Throwable) {
            // The cards on screen stay; the message says why they are not updated.
            val error = errorViewOf(e, now, format)
            mutable.update { it.copy(error = error) }
            return
        }
        val cards = passes.map { card(wallet, it, now) }
        val reauth = passes.firstOrNull {
            it.state == PassState.REVOKED || it.state == PassState.REAUTHENTICATION_REQUIRED || it.state == PassState.EXPIRED
        }
        mutable.update {
            it.copy(
                cards = cards,
                banner = banner(passes, it.trustListRefreshFailed),
                reauthenticatePassId = reauth?.id,
                needsEnrolment = passes.isEmpty(),
                error = null,
            )
        }
    }

    /**
     * Refreshes the trust list, then renews what is due whether or not that refresh worked, quietly:
     * a failure changes only the badge and the banners, never the passes shown. Says how many passes
     * were renewed, when to try again and from when on any network (device seconds, the core's plan),
     * for the background scheduler. Any error, the core's or another, is caught; a cancellation is thrown on
     * after the screen is rebuilt.
     */
    suspend fun renewQuietly(): QuietRenewal {
        if (host.simulateOffline) {
            mutable.update { it.copy(offline = true) }
            refresh()
            return QuietRenewal(0, null)
        }
        val wallet = host.wallet
        try {
            val listError = try {
                wallet.refreshTrustList(clock.now())
                null
            } catch (e: Throwable) {
                rethrowIfCancelled(e)
                e
            }
            val result = try {
                val outcomes = wallet.renewIfDue(clock.now()).map { it.outcome }
                mutable.update { it.copy(offline = listError is DoorpassException.Offline) }
                val next = nextRun(outcomes, renewalPlan(wallet))
                QuietRenewal(outcomes.count { it is RenewalOutcome.Renewed }, next?.runAt, next?.relaxAt)
            } catch (e: Throwable) {
                rethrowIfCancelled(e)
                mutable.update { it.copy(offline = e is DoorpassException.Offline || listError is DoorpassException.Offline) }
                val next = renewalPlan(wallet)
                QuietRenewal(0, next?.runAt, next?.relaxAt)
            }
            // Offline is said by the badge; any other failure of the list by the banner.
            mutable.update { it.copy(trustListRefreshFailed = listError != null && listError !is DoorpassException.Offline) }
            return result
        } finally {
            refresh()
        }
    }

    /** The wallet's renewal plan now, or `null` when it cannot say. */
    private fun renewalPlan(wallet: Wallet): RenewalPlan? = try {
        wallet.renewalPlan(clock.now())
    } catch (e: Throwable) {
        rethrowIfCancelled(e)
        null
    }

    private fun card(wallet: Wallet, pass: PassSummary, now: ULong): PassCard {
        val qr = try {
            wallet.currentQr(pass.id, now, false)
        } catch (e: Throwable) {
            null
        }
        val kind = UiText(kindKey(pass.kind))
        val until = format.date(pass.expiresAt)
        return PassCard(
            passId = pass.id,
            holderName = pass.holderName,
            kind = kind,
            validity = UiText(if (pass.state == PassState.EXPIRED) "pass_expired_on" else "pass_valid_until", until),
            state = pass.state,
            qr = qr,
            secondsUntilRotation = qr?.secondsUntilRotation?.toInt() ?: 0,
            accessibilityLabel = UiText("a11y_pass_code", pass.holderName, kind, until),
        )
    }

    private fun banner(passes: List<PassSummary>, trustListRefreshFailed: Boolean): UiText? {
        passes.firstOrNull { it.state == PassState.REVOKED }?.let {
            return UiText("banner_pass_revoked", it.holderName)
        }
        passes.firstOrNull { it.state == PassState.REAUTHENTICATION_REQUIRED }?.let {
            return UiText("banner_reauthentication_required", it.holderName, format.date(it.expiresAt))
        }
        passes.firstOrNull { it.state == PassState.EXPIRED }?.let {
            return UiText("banner_expired", it.holderName)
        }
        passes.firstOrNull { it.state == PassState.MISSING }?.let {
            return UiText("banner_pass_missing", it.holderName)
        }
        passes.firstOrNull { it.state == PassState.RENEW_DUE && it.lastRenewalError != null }?.let {
            return UiText("banner_renewal_pending", it.holderName, format.date(it.expiresAt))
        }
        if (trustListRefreshFailed) return UiText("banner_trust_list_refresh_failed")
        return null
    }
}
