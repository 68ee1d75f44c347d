// One message for each error the core can give, with what the person can do next. The `when` is
// exhaustive over the generated error class: a new core error does not compile until it has words.
// Anything else a call can throw (a core panic as the bindings' InternalException, a JNA error, a
// call on a closed handle) is "something went wrong", never a crash: see [errorViewOf].
package org.doorpass.passui

import kotlin.coroutines.cancellation.CancellationException
import org.doorpass.core.DoorpassException

/** What a screen shows for an error: the sentence, and which next step to offer. */
data class ErrorView(
    /** The sentence. */
    val text: UiText,
    /** The next step the screen offers, if any. */
    val action: ErrorAction = ErrorAction.NONE,
    /** When trying again makes sense (Unix seconds), for rate limits. */
    val retryAt: ULong? = null,
)

/** The button an error screen shows. */
enum class ErrorAction {
    /** Nothing to press; the message says what to do. */
    NONE,
    /** Type the code again. */
    RETYPE_CODE,
    /** Ask for a new code. */
    NEW_CODE,
    /** Start again from the subject. */
    START_AGAIN,
    /** Authenticate again (code flow). */
    REAUTHENTICATE,
    /** Try again (later, or now). */
    RETRY,
}

/** The message for [error] at [now] (device seconds), with times formatted by [format]. */
fun errorView(error: DoorpassException, now: ULong, format: TimeFormat): ErrorView = when (error) {
    is DoorpassException.Offline -> ErrorView(UiText("error_offline"), ErrorAction.RETRY)
    is DoorpassException.UntrustedCertificate -> ErrorView(UiText("error_untrusted_certificate"), ErrorAction.RETRY)
    is DoorpassException.CertificatePinMismatch -> ErrorView(UiText("error_certificate_pin_mismatch"), ErrorAction.RETRY)
    is DoorpassException.CertificateNotValidNow -> ErrorView(UiText("error_certificate_not_valid_now"), ErrorAction.RETRY)
    is DoorpassException.RateLimited -> {
        val at = now + error.retryAfterSeconds
        ErrorView(UiText("error_rate_limited", format.time(at)), ErrorAction.RETRY, at)
    }
    is DoorpassException.ReauthenticationRequired -> ErrorView(UiText("error_reauthentication_required"), ErrorAction.REAUTHENTICATE)
    is DoorpassException.InvalidCode ->
        ErrorView(UiText.plural("error_invalid_code", error.attemptsLeft.toLong()), ErrorAction.RETYPE_CODE)
    is DoorpassException.CodeExpired -> ErrorView(UiText("error_code_expired"), ErrorAction.NEW_CODE)
    is DoorpassException.CodeAttemptsExhausted -> ErrorView(UiText("error_code_attempts_exhausted"), ErrorAction.NEW_CODE)
    is DoorpassException.NotEligible -> ErrorView(UiText("error_not_eligible"))
    is DoorpassException.IssuerRefused -> ErrorView(UiText("error_issuer_refused"), ErrorAction.START_AGAIN)
    is DoorpassException.InvalidPassFromIssuer -> ErrorView(UiText("error_invalid_pass_from_issuer"), ErrorAction.RETRY)
    is DoorpassException.Storage -> ErrorView(UiText("error_storage"), ErrorAction.RETRY)
    is DoorpassException.KeystoreUnavailable -> ErrorView(UiText("error_keystore_unavailable"), ErrorAction.RETRY)
    is DoorpassException.ClockUntrustworthy -> ErrorView(UiText("error_clock_untrustworthy"))
    is DoorpassException.NotEnrolled -> ErrorView(UiText("error_not_enrolled"), ErrorAction.START_AGAIN)
    is DoorpassException.NoEnrolmentInProgress -> ErrorView(UiText("error_no_enrolment_in_progress"), ErrorAction.START_AGAIN)
    is DoorpassException.UnknownPass -> ErrorView(UiText("error_unknown_pass"))
    is DoorpassException.PassNotChosen -> ErrorView(UiText("error_pass_not_chosen"))
    is DoorpassException.PassMissing -> ErrorView(UiText("error_pass_missing"), ErrorAction.RETRY)
    is DoorpassException.PassRevoked -> ErrorView(UiText("error_pass_revoked"), ErrorAction.REAUTHENTICATE)
    is DoorpassException.InUse -> ErrorView(UiText("error_in_use"), ErrorAction.RETRY)
    is DoorpassException.Wiped -> ErrorView(UiText("error_wiped"), ErrorAction.START_AGAIN)
    is DoorpassException.NoTrustList -> ErrorView(UiText("error_no_trust_list"), ErrorAction.RETRY)
    is DoorpassException.AttestationRequired -> ErrorView(UiText("error_attestation_required"))
    is DoorpassException.AttestationRefused -> ErrorView(UiText("error_attestation_refused"))
    is DoorpassException.InvalidInput -> ErrorView(UiText("error_invalid_input"))
    is DoorpassException.Internal -> ErrorView(UiText("error_internal"))
}

/**
 * The message for anything a call into the core threw: the core's own errors by [errorView], every
 * other [Throwable] (the bindings' InternalException for a core panic, a JNA error, a call on a
 * closed handle) as the internal error, with a retry. A coroutine's cancellation is not an error:
 * it is thrown again, for the caller to restore its state first (see [rethrowIfCancelled]).
 */
fun errorViewOf(error: Throwable, now: ULong, format: TimeFormat): ErrorView {
    rethrowIfCancelled(error)
    return when (error) {
        is DoorpassException -> errorView(error, now, format)
        else -> ErrorView(UiText("error_internal"), ErrorAction.RETRY)
    }
}

/** Throws [error] again when it is a coroutine's cancellation, which must reach the coroutine. */
fun rethrowIfCancelled(error: Throwable) {
    if (error is CancellationException) throw error
}
