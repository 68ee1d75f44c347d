// The door staff's screen, built for a queue: the camera keeps scanning, each code gets a large
// verdict at once (green, amber "check the ID", red with the reason) with its own sound and haptic,
// and the scanner takes the next code within a second, with no tap. By default a valid pass shows
// only the holder's initials and birth day and month (enough to match an ID without telling the
// queue a name); the full name and birth date show on tap. The screen also shows today's counts from
// the door's check log and exports the log as CSV. Checking needs no network.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// A valid pass as the door screen shows it.
public struct ValidVerdict: Equatable {
    /// `.valid` (green), or `.checkId` (amber: compare the photo ID closely — a printed code, or
    /// revocation not checked).
    public let signal: DoorSignal
    /// The holder's initials ("J. D."), shown by default.
    public let initials: String
    /// Birth day and month ("Birthday (month/day): 3/14"), or that the pass has only a year.
    public let birthday: UiText
    /// The full name, shown on tap.
    public let holderName: String
    /// The full birth date (`YYYY-MM-DD` or `YYYY`), shown on tap.
    public let birthDate: String
    /// The kind of pass, as a word.
    public let kind: UiText
    /// "Valid until …".
    public let validity: UiText
    /// "Revocation not checked — list 3 d old", when so.
    public let revocation: UiText?
    /// Where the holder key lives ("Key: not attested").
    public let key: UiText
}

/// The result area of the door screen.
public enum DoorResult: Equatable {
    /// Nothing scanned (or the last verdict has left the screen): the scanner.
    case idle
    /// Let in: green, or amber when the ID must be checked closely.
    case valid(ValidVerdict)
    /// Red, with why.
    case refused(reason: UiText)
    /// The check could not be made (no list yet, clock wrong).
    case failed(ErrorView)

    /// The sound, haptic and colour of this result (`nil` while idle). A check that could not be
    /// made is not a "let in": it sounds like a refusal.
    public var signal: DoorSignal? {
        switch self {
        case .idle: return nil
        case let .valid(verdict): return verdict.signal
        case .refused, .failed: return .refused
        }
    }

    /// What VoiceOver announces for this result (`nil` while idle): the verdict, never a name.
    public var announcement: UiText? {
        switch self {
        case .idle: return nil
        case let .valid(verdict): return UiText(verdict.signal == .checkId ? "door_a11y_check_id" : "door_a11y_valid")
        case let .refused(reason): return UiText("door_a11y_refused", reason)
        case let .failed(error): return UiText("door_a11y_refused", error.text)
        }
    }
}

/// What the door screen shows.
public struct DoorScreenState: Equatable {
    /// The last check's result.
    public var result: DoorResult = .idle
    /// The full name and birth date are shown (tapped); reset by the next code.
    public var identityShown = false
    /// The scanner takes the next code (false for a moment after each verdict).
    public var readyForNextCode = true
    /// Self-service: the screen faces the customer; the identity is never shown on tap.
    public var kiosk = false
    /// "Trust list 3 h old", or `nil` before the first list.
    public var trustListAge: UiText?
    /// The list is past its planned update: get a new one when the network allows.
    public var trustListStale = false
    /// "Today: 214 checked, 3 refused; lists 2 h old", from the door's check log.
    public var todaySummary: UiText?
    /// Today's counts behind `todaySummary`.
    public var todayCounts: CheckLogSummary?

    /// Nothing checked, no list yet.
    public init() {}
}

/// The check log as a file to share.
public struct CheckLogExport: Equatable {
    /// "doorpass-check-log-2027-01-15.csv".
    public let fileName: String
    /// The CSV text (header first, one row per 10-minute bucket).
    public let csv: String
}

/// The door screen's logic.
@MainActor
public final class VerifyViewModel: ObservableObject {
    /// How long the scanner rests after a verdict before it takes the next code (under a second).
    public static let readyAfterSeconds = 0.8
    /// How long a verdict stays on screen when no other code comes.
    public static let verdictShownSeconds = 6.0

    /// The current screen state.
    @Published public private(set) var state = DoorScreenState()

    private let door: DoorVerifier
    private let clock: DeviceClock
    private let format: TimeFormat
    private let scheduler: DoorScheduler
    private var lastScanned: String?
    private var pending: [ScheduledAction] = []
    private var verdictNumber = 0

    /// The door screen over `door`, at `clock`'s time, with dates in `format`; `scheduler` runs the
    /// scanner's rests and the verdicts' time on screen.
    public init(door: DoorVerifier, clock: DeviceClock, format: TimeFormat = TimeFormat(),
                scheduler: DoorScheduler = MainQueueScheduler()) {
        self.door = door
        self.clock = clock
        self.format = format
        self.scheduler = scheduler
        updateListStatus()
        refreshSummary()
    }

    /// A code from the camera, which keeps scanning: checked when the scanner is ready and it is
    /// not the code whose verdict is on screen (still in front of the camera). Says whether it was
    /// checked.
    @discardableResult
    public func scan(_ qrText: String) -> Bool {
        guard state.readyForNextCode else { return false }
        if qrText == lastScanned, state.result != .idle { return false }
        verify(qrText)
        return true
    }

    /// Checks a code now, offline (also what `scan` does once it takes a code). The verdict shows
    /// at once; the scanner rests `readyAfterSeconds`, and the verdict leaves the screen after
    /// `verdictShownSeconds` unless another code comes first.
    public func verify(_ qrText: String) {
        let now = clock.now()
        let result: DoorResult
        do {
            result = doorResult(try door.verify(qrText: qrText, now: now))
        } catch {
            result = .failed(errorView(anyError: error, now: now, format: format))
        }
        lastScanned = qrText
        state.result = result
        state.identityShown = false
        state.readyForNextCode = false
        updateListStatus()
        refreshSummary()
        schedule()
    }

    private func doorResult(_ result: VerificationResult) -> DoorResult {
        switch result {
        case let .valid(holderName, birthDate, kind, expiresAt, _, _, revocation, keyAssurance, minimal, signal):
            return .valid(ValidVerdict(
                signal: signal, initials: minimal.initials,
                birthday: birthdayText(month: minimal.birthMonth, day: minimal.birthDay),
                holderName: holderName, birthDate: birthDate, kind: UiText(kindKey(kind)),
                validity: UiText("pass_valid_until", format.date(expiresAt)),
                revocation: revocationNote(revocation), key: UiText(keyAssuranceKey(keyAssurance))))
        case let .refused(reason, _):
            return .refused(reason: UiText(refusalKey(reason)))
        }
    }

    private func schedule() {
        pending.forEach { $0.cancel() }
        verdictNumber += 1
        let number = verdictNumber
        pending = [
            scheduler.schedule(after: Self.readyAfterSeconds) { [weak self] in
                guard let self, self.verdictNumber == number else { return }
                self.state.readyForNextCode = true
            },
            scheduler.schedule(after: Self.verdictShownSeconds) { [weak self] in
                guard let self, self.verdictNumber == number else { return }
                self.clear()
            },
        ]
    }

    /// Shows (or hides again) the full name and birth date of a valid pass, for matching an ID.
    /// Never in kiosk mode, where the screen faces the queue.
    public func toggleIdentity() {
        guard case .valid = state.result, !state.kiosk else { return }
        state.identityShown.toggle()
    }

    /// Turns the self-service (kiosk) layout on or off.
    public func setKiosk(_ on: Bool) {
        state.kiosk = on
        if on { state.identityShown = false }
    }

    /// Clears the result for the next guest; the scanner is ready at once.
    public func clear() {
        pending.forEach { $0.cancel() }
        pending = []
        verdictNumber += 1
        lastScanned = nil
        state.result = .idle
        state.identityShown = false
        state.readyForNextCode = true
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
        refreshSummary()
        return failure
    }

    /// Re-reads today's counts (since local midnight) from the door's check log.
    public func refreshSummary() {
        let now = clock.now()
        guard let summary = try? door.checkLogSummary(since: format.startOfDay(now), now: now) else {
            state.todaySummary = nil
            state.todayCounts = nil
            return
        }
        state.todayCounts = summary
        state.todaySummary = todaySummaryText(summary)
    }

    /// The whole check log (90 days) as a CSV file to share, or the error to show.
    public func exportCheckLog() -> Result<CheckLogExport, ErrorView> {
        let now = clock.now()
        do {
            let csv = try door.checkLogCsv(now: now)
            return .success(CheckLogExport(fileName: "doorpass-check-log-\(format.date(now)).csv", csv: csv))
        } catch {
            return .failure(errorView(anyError: error, now: now, format: format))
        }
    }

    private func updateListStatus() {
        let status = door.trustListStatus(now: clock.now())
        state.trustListAge = status.map { UiText("trust_list_age", ageText($0.ageSeconds)) }
        state.trustListStale = status?.updateDue ?? false
    }
}

/// "Birthday (month/day): 3/14"; a pass with only a birth year says so (the year shows on tap).
public func birthdayText(month: UInt8?, day: UInt8?) -> UiText {
    guard let month, let day else { return UiText("door_birthday_unknown") }
    return UiText("door_birthday", String(month), String(day))
}

/// "Today: 214 checked, 3 refused; lists 2 h old" (the older of the trust and status lists at the
/// latest check), or without the lists' age when there was no check yet.
public func todaySummaryText(_ summary: CheckLogSummary) -> UiText {
    let checked = UiText.plural("door_checked", count: Int(clamping: summary.checked))
    let refused = UiText.plural("door_refused_count", count: Int(clamping: summary.refused))
    let ages = [summary.trustListAgeSeconds, summary.statusListAgeSeconds].compactMap { $0 }
    guard let oldest = ages.max() else { return UiText("door_summary_today", checked, refused) }
    return UiText("door_summary_today_lists", checked, refused, ageText(oldest))
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
