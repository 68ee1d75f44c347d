// The door staff's screen: a large green or red result with the reason, the holder's name and birth
// date to compare with an ID card, and the trust list's age. Checking needs no network.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// The result area of the door screen.
public enum DoorResult: Equatable {
    /// Nothing scanned yet.
    case idle
    /// Green: compare `holderName` and `birthDate` with an ID card. `revocation` says when the
    /// pass's revocation could not be checked ("revocation not checked — list 3 d old"); `key` where
    /// the holder key lives ("Key: StrongBox, attested" / "Key: not attested").
    case valid(holderName: String, birthDate: String, kind: UiText, validity: UiText, revocation: UiText?,
               key: UiText)
    /// Red, with why.
    case refused(reason: UiText)
    /// The check could not be made (no list yet, clock wrong).
    case failed(ErrorView)
}

/// What the door screen shows.
public struct DoorScreenState: Equatable {
    /// The last check's result.
    public var result: DoorResult = .idle
    /// "Trust list 3 h old", or `nil` before the first list.
    public var trustListAge: UiText?
    /// The list is past its planned update: get a new one when the network allows.
    public var trustListStale = false

    /// Nothing checked, no list yet.
    public init() {}
}

/// The door screen's logic.
@MainActor
public final class VerifyViewModel: ObservableObject {
    /// The current screen state.
    @Published public private(set) var state = DoorScreenState()

    private let door: DoorVerifier
    private let clock: DeviceClock
    private let format: TimeFormat

    /// The door screen over `door`, at `clock`'s time, with dates in `format`.
    public init(door: DoorVerifier, clock: DeviceClock, format: TimeFormat = TimeFormat()) {
        self.door = door
        self.clock = clock
        self.format = format
        updateListStatus()
    }

    /// Checks a scanned code, offline.
    public func verify(_ qrText: String) {
        let now = clock.now()
        let result: DoorResult
        do {
            switch try door.verify(qrText: qrText, now: now) {
            case let .valid(holderName, birthDate, kind, expiresAt, _, _, revocation, keyAssurance, _, _):
                result = .valid(holderName: holderName, birthDate: birthDate, kind: UiText(kindKey(kind)),
                                validity: UiText("pass_valid_until", format.date(expiresAt)),
                                revocation: revocationNote(revocation),
                                key: UiText(keyAssuranceKey(keyAssurance)))
            case let .refused(reason, _):
                result = .refused(reason: UiText(refusalKey(reason)))
            }
        } catch {
            result = .failed(errorView(anyError: error, now: now, format: format))
        }
        state.result = result
        updateListStatus()
    }

    /// Fetches a newer trust list when the network allows; a failure keeps the cached one and is
    /// returned (`nil`: the list was fetched).
    @discardableResult
    public func refreshTrustList() async -> ErrorView? {
        var failure: ErrorView?
        do {
            _ = try await door.refreshTrustList(now: clock.now())
            // Best effort: the lists held stay, and verdicts say how old they are.
            _ = try? await door.refreshStatusLists(now: clock.now())
        } catch {
            failure = errorView(anyError: error, now: clock.now(), format: format)
        }
        updateListStatus()
        return failure
    }

    /// Clears the result for the next guest.
    public func clear() {
        state.result = .idle
    }

    private func updateListStatus() {
        let status = door.trustListStatus(now: clock.now())
        state.trustListAge = status.map { UiText("trust_list_age", ageText($0.ageSeconds)) }
        state.trustListStale = status?.updateDue ?? false
    }
}

/// What a valid verdict says about revocation: nothing when checked or not revocable.
public func revocationNote(_ status: RevocationStatus) -> UiText? {
    guard case let .notChecked(listAgeSeconds) = status else { return nil }
    guard let age = listAgeSeconds else { return UiText("revocation_not_checked_no_list") }
    return UiText("revocation_not_checked_age", ageText(age))
}

/// The string key for each refusal, exhaustive over the core's reasons.
public func refusalKey(_ reason: RefusalReason) -> String {
    switch reason {
    case .malformed: return "refusal_malformed"
    case .unknownIssuer: return "refusal_unknown_issuer"
    case .badSignature: return "refusal_bad_signature"
    case .issuerKeyNotValidAtIssuance: return "refusal_issuer_key_not_valid_at_issuance"
    case .lifetimeTooLong: return "refusal_lifetime_too_long"
    case .notYetValid: return "refusal_not_yet_valid"
    case .expired: return "refusal_expired"
    case .staleCode: return "refusal_stale_code"
    case .futureCode: return "refusal_future_code"
    case .notFromHoldersPhone: return "refusal_not_from_holders_phone"
    case .staticNotAccepted: return "refusal_static_not_accepted"
    case .revoked: return "refusal_revoked"
    case .revocationNotChecked: return "refusal_revocation_not_checked"
    case .notRevocable: return "refusal_not_revocable"
    case .keyNotHardwareBound: return "refusal_key_not_hardware_bound"
    }
}

/// The string key for where a valid pass's holder key lives, exhaustive over the core's values.
public func keyAssuranceKey(_ assurance: KeyAssurance) -> String {
    switch assurance {
    case .unattested: return "key_assurance_unattested"
    case .androidTee: return "key_assurance_android_tee"
    case .androidStrongBox: return "key_assurance_android_strongbox"
    case .appleAppAttest: return "key_assurance_apple_app_attest"
    }
}
