// One message for each error the core can give, with what the person can do next. The `switch` is
// exhaustive over the generated error enum: a new core error does not compile until it has words.

import DoorpassCore
import Foundation

/// What a screen shows for an error: the sentence, and which next step to offer.
public struct ErrorView: Hashable, Sendable {
    /// The sentence.
    public let text: UiText
    /// The next step the screen offers, if any.
    public let action: ErrorAction
    /// When trying again makes sense (Unix seconds), for rate limits.
    public let retryAt: UInt64?

    /// The sentence `text`, with `action` offered and, for rate limits, `retryAt`.
    public init(_ text: UiText, action: ErrorAction = .none, retryAt: UInt64? = nil) {
        self.text = text
        self.action = action
        self.retryAt = retryAt
    }
}

/// An error view can travel as a `Result`'s failure.
extension ErrorView: Error {}

/// The button an error screen shows.
public enum ErrorAction: Hashable, Sendable {
    /// Nothing to press; the message says what to do.
    case none
    /// Type the code again.
    case retypeCode
    /// Ask for a new code.
    case newCode
    /// Start again from the subject.
    case startAgain
    /// Authenticate again (code flow).
    case reauthenticate
    /// Try again (later, or now).
    case retry
}

/// The message for `error` at `now` (device seconds), with times formatted by `format`.
public func errorView(_ error: DoorpassError, now: UInt64, format: TimeFormat) -> ErrorView {
    switch error {
    case .Offline:
        return ErrorView(UiText("error_offline"), action: .retry)
    case .UntrustedCertificate:
        return ErrorView(UiText("error_untrusted_certificate"), action: .retry)
    case .CertificatePinMismatch:
        return ErrorView(UiText("error_certificate_pin_mismatch"), action: .retry)
    case .CertificateNotValidNow:
        return ErrorView(UiText("error_certificate_not_valid_now"), action: .retry)
    case let .RateLimited(retryAfterSeconds):
        let at = now + retryAfterSeconds
        return ErrorView(UiText("error_rate_limited", format.time(at)), action: .retry, retryAt: at)
    case .ReauthenticationRequired:
        return ErrorView(UiText("error_reauthentication_required"), action: .reauthenticate)
    case let .InvalidCode(attemptsLeft):
        return ErrorView(.plural("error_invalid_code", count: Int(attemptsLeft)), action: .retypeCode)
    case .CodeExpired:
        return ErrorView(UiText("error_code_expired"), action: .newCode)
    case .CodeAttemptsExhausted:
        return ErrorView(UiText("error_code_attempts_exhausted"), action: .newCode)
    case .NotEligible:
        return ErrorView(UiText("error_not_eligible"))
    case .IssuerRefused:
        return ErrorView(UiText("error_issuer_refused"), action: .startAgain)
    case .InvalidPassFromIssuer:
        return ErrorView(UiText("error_invalid_pass_from_issuer"), action: .retry)
    case .Storage:
        return ErrorView(UiText("error_storage"), action: .retry)
    case .KeystoreUnavailable:
        return ErrorView(UiText("error_keystore_unavailable"), action: .retry)
    case .ClockUntrustworthy:
        return ErrorView(UiText("error_clock_untrustworthy"))
    case .NotEnrolled:
        return ErrorView(UiText("error_not_enrolled"), action: .startAgain)
    case .NoEnrolmentInProgress:
        return ErrorView(UiText("error_no_enrolment_in_progress"), action: .startAgain)
    case .UnknownPass:
        return ErrorView(UiText("error_unknown_pass"))
    case .PassNotChosen:
        return ErrorView(UiText("error_pass_not_chosen"))
    case .PassMissing:
        return ErrorView(UiText("error_pass_missing"), action: .retry)
    case .PassRevoked:
        return ErrorView(UiText("error_pass_revoked"), action: .reauthenticate)
    case .InUse:
        return ErrorView(UiText("error_in_use"), action: .retry)
    case .Wiped:
        return ErrorView(UiText("error_wiped"), action: .startAgain)
    case .NoTrustList:
        return ErrorView(UiText("error_no_trust_list"), action: .retry)
    case .AttestationRequired:
        return ErrorView(UiText("error_attestation_required"))
    case .AttestationRefused:
        return ErrorView(UiText("error_attestation_refused"))
    case .InvalidInput:
        return ErrorView(UiText("error_invalid_input"))
    case .Internal:
        return ErrorView(UiText("error_internal"))
    }
}

/// The message for any error a core call threw: a `DoorpassError` as above, anything else (which
/// the core does not throw on purpose) as an internal error.
public func errorView(anyError error: Error, now: UInt64, format: TimeFormat) -> ErrorView {
    errorView(doorpassError(error), now: now, format: format)
}

/// `error` as the core's error enum: anything else becomes `.Internal`.
func doorpassError(_ error: Error) -> DoorpassError {
    (error as? DoorpassError) ?? .Internal(reason: String(describing: error))
}
