// The pass screen: one card per pass (a family swipes between them), each with its QR matrix, the
// rotation countdown, name, kind and expiry, and a label for screen readers; an "offline — this pass
// still works" badge; and a banner when renewal is pending or re-authentication is needed, shown
// before it blocks anyone. Everything here works without the network; only [renewQuietly] uses it.
package org.doorpass.passui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.doorpass.core.DoorpassException
import org.doorpass.core.PassState
import org.doorpass.core.PassSummary
import org.doorpass.core.QrView
import org.doorpass.core.RenewalOutcome

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
)

/** What a quiet renewal did. */
data class QuietRenewal(
    /** Passes renewed. */
    val renewed: Int,
    /** When to try again (device seconds), if anything is scheduled. */
    val nextAttemptAt: ULong?,
)

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
        val passes = host.wallet.passes(now)
        val cards = passes.map { card(it, now) }
        val reauth = passes.firstOrNull {
            it.state == PassState.REVOKED || it.state == PassState.REAUTHENTICATION_REQUIRED || it.state == PassState.EXPIRED
        }
        mutable.value = mutable.value.copy(
            cards = cards,
            banner = banner(passes),
            reauthenticatePassId = reauth?.id,
            needsEnrolment = passes.isEmpty(),
        )
    }

    /**
     * Refreshes the trust list and renews what is due, quietly: a failure changes only the badge
     * and the banner, never the passes shown. Says how many passes were renewed and when to try
     * again (device seconds, the earliest time the core gave), for the background scheduler.
     */
    suspend fun renewQuietly(): QuietRenewal {
        val result = if (host.simulateOffline) {
            markOffline(true)
            QuietRenewal(0, null)
        } else {
            try {
                host.wallet.refreshTrustList(clock.now())
                val outcomes = host.wallet.renewIfDue(clock.now()).map { it.outcome }
                markOffline(false)
                QuietRenewal(
                    outcomes.count { it is RenewalOutcome.Renewed },
                    nextAttempt(outcomes) ?: host.wallet.nextRenewalAt(),
                )
            } catch (e: DoorpassException.Offline) {
                markOffline(true)
                QuietRenewal(0, host.wallet.nextRenewalAt())
            } catch (e: DoorpassException) {
                QuietRenewal(0, host.wallet.nextRenewalAt())
            }
        }
        refresh()
        return result
    }

    private fun markOffline(offline: Boolean) {
        mutable.value = mutable.value.copy(offline = offline)
    }

    private fun card(pass: PassSummary, now: ULong): PassCard {
        val qr = try {
            host.wallet.currentQr(pass.id, now, false)
        } catch (e: DoorpassException) {
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

    private fun banner(passes: List<PassSummary>): UiText? {
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
        return null
    }
}

/** The earliest moment any of [outcomes] asks to be tried again, if one does. */
fun nextAttempt(outcomes: List<RenewalOutcome>): ULong? = outcomes.mapNotNull {
    when (it) {
        is RenewalOutcome.NotDue -> it.renewAfter
        is RenewalOutcome.Renewed -> it.renewAfter
        is RenewalOutcome.Waiting -> it.retryAt
        is RenewalOutcome.Deferred -> it.retryAt
        is RenewalOutcome.ReauthenticationRequired -> null
    }
}.minOrNull()
