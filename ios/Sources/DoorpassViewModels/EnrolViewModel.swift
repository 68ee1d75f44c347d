// Enrolment and re-authentication, one short flow: the subject (skipped when re-authenticating a
// pass), then the code. Each core error becomes one clear message with its next step; the pass in
// hand is never touched by anything that goes wrong here. Every path out of "sending" and
// "verifying" ends in a defined step: the call's answer, its error, or — when the person cancelled
// while it was under way — the subject screen, the late answer dropped.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// The code screen: which code is awaited, and what went wrong with the last try.
public struct CodeEntry: Equatable {
    /// Who the code was sent to.
    public let subject: String
    /// How many digits it has.
    public let codeLength: Int
    /// When the code stops working (device seconds).
    public let expiresAt: UInt64
    /// Renewing a pass in hand rather than adding one.
    public let reauthentication: Bool
    /// The message for the last failed try, if any.
    public var error: ErrorView?

    /// The same code screen showing `error`.
    public func with(error: ErrorView?) -> CodeEntry {
        var copy = self
        copy.error = error
        return copy
    }
}

/// Where the enrolment flow is.
public enum EnrolStep: Equatable {
    /// Asking for the subject (phone number or id), with the last error if any.
    case enterSubject(error: ErrorView?)
    /// Waiting for the issuer to send the code.
    case sending(subject: String)
    /// Asking for the code that was sent.
    case enterCode(CodeEntry)
    /// Trading the code for a pass.
    case verifying(subject: String)
    /// A pass is stored (new or renewed).
    case done(passId: String, holderName: String)
}

/// The enrolment screen's logic.
@MainActor
public final class EnrolViewModel: ObservableObject {
    /// The current step.
    @Published public private(set) var step: EnrolStep

    private let host: WalletHost
    private let clock: DeviceClock
    private let format: TimeFormat
    /// The pass being re-authenticated, when that is what this flow does.
    private var reauthPassId: String?
    /// Counts cancellations: a call that started before the last one has its answer dropped.
    private var generation = 0
    /// The wallet's `cancelEnrolment` under way off the main actor, which the next start awaits.
    private var cancelling: Task<Void, Never>?

    /// The enrolment flow of the wallet in `host`; a code already sent (the app was closed while
    /// waiting) continues where it was.
    public init(host: WalletHost, clock: DeviceClock, format: TimeFormat = TimeFormat()) {
        self.host = host
        self.clock = clock
        self.format = format
        if case let .awaitingCode(pending) = host.wallet.state() {
            step = .enterCode(EnrolViewModel.codeEntry(pending))
        } else {
            step = .enterSubject(error: nil)
        }
    }

    private static func codeEntry(_ pending: PendingEnrolment) -> CodeEntry {
        CodeEntry(subject: pending.subject, codeLength: Int(pending.codeLength),
                  expiresAt: pending.expiresAt, reauthentication: pending.reauthentication, error: nil)
    }

    /// Asks the issuer to send a code to `subject`.
    public func submitSubject(_ subject: String) async {
        let trimmed = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            step = .enterSubject(error: ErrorView(UiText("error_subject_empty")))
            return
        }
        reauthPassId = nil
        await cancelling?.value
        let wallet = host.wallet
        let now = clock.now()
        await send(trimmed) { try await wallet.startEnrolment(subject: trimmed, now: now) }
    }

    /// Starts re-authenticating the pass `passId` (its subject is known): a code is sent at once.
    public func reauthenticate(_ passId: String) async {
        reauthPassId = passId
        await cancelling?.value
        let wallet = host.wallet
        let now = clock.now()
        let subject = wallet.passes(now: now).first { $0.id == passId }?.subject ?? ""
        await send(subject) { try await wallet.reauthenticate(passId: passId, now: now) }
    }

    /// Sends a new code for the same subject (after an expired code or too many tries).
    public func requestNewCode() async {
        guard case let .enterCode(asking) = step else { return }
        if let passId = reauthPassId {
            await reauthenticate(passId)
        } else {
            await submitSubject(asking.subject)
        }
    }

    private func send(_ subject: String, start: () async throws -> PendingEnrolment) async {
        let before = step
        if host.simulateOffline {
            step = failedStart(before, errorView(.Offline(detail: "simulated"), now: clock.now(), format: format))
            return
        }
        step = .sending(subject: subject)
        let started = generation
        let outcome: Result<PendingEnrolment, Error>
        do {
            outcome = .success(try await start())
        } catch {
            outcome = .failure(error)
        }
        guard started == generation else {
            // Cancelled while sending: the subject screen stays; a code sent anyway is given up.
            if case .success = outcome, case .enterSubject = step { await cancelInWallet() }
            return
        }
        switch outcome {
        case let .success(pending):
            step = .enterCode(EnrolViewModel.codeEntry(pending))
        case let .failure(error) where error is CancellationError:
            step = before
        case let .failure(error):
            step = failedStart(before, errorView(anyError: error, now: clock.now(), format: format))
        }
    }

    /// After a failed start, stay on the code screen if there was one, else on the subject.
    private func failedStart(_ before: EnrolStep, _ error: ErrorView) -> EnrolStep {
        if case let .enterCode(asking) = before { return .enterCode(asking.with(error: error)) }
        return .enterSubject(error: error)
    }

    /// Trades `code` for a pass (anything but digits in it is ignored).
    public func submitCode(_ code: String) async {
        guard case let .enterCode(asking) = step else { return }
        let digits = String(code.filter { $0.unicodeScalars.allSatisfy(CharacterSet.decimalDigits.contains) })
        if digits.count != asking.codeLength {
            let error = ErrorView(UiText("error_code_length", String(asking.codeLength)), action: .retypeCode)
            step = .enterCode(asking.with(error: error))
            return
        }
        if host.simulateOffline {
            let error = errorView(.Offline(detail: "simulated"), now: clock.now(), format: format)
            step = .enterCode(asking.with(error: error))
            return
        }
        step = .verifying(subject: asking.subject)
        let started = generation
        let wallet = host.wallet
        let now = clock.now()
        do {
            let pass = try await wallet.completeEnrolment(code: digits, now: now)
            // Cancelled while verifying: the pass is stored all the same (the pass screen shows it).
            guard started == generation else { return }
            reauthPassId = nil
            step = .done(passId: pass.id, holderName: pass.holderName)
        } catch is CancellationError {
            guard started == generation else { return }
            step = .enterCode(asking)
        } catch {
            guard started == generation else { return }
            step = .enterCode(asking.with(error: errorView(anyError: error, now: clock.now(), format: format)))
        }
    }

    /// Gives up the enrolment under way; the passes in hand stay. The subject screen shows at once
    /// (an answer still on its way is dropped); the wallet's files are changed off the main actor,
    /// and the next start waits for that.
    public func cancel() async {
        generation += 1
        reauthPassId = nil
        step = .enterSubject(error: nil)
        await cancelInWallet()
    }

    private func cancelInWallet() async {
        let wallet = host.wallet
        // Nothing under way is fine: the subject screen is right either way.
        let task = Task.detached(priority: .userInitiated) { _ = try? wallet.cancelEnrolment() }
        cancelling = task
        await task.value
        if cancelling == task { cancelling = nil }
    }
}
