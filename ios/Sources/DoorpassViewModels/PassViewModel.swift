// The pass screen: one card per pass (a family swipes between them), each with its QR matrix, the
// rotation countdown, name, kind and expiry, and a label for screen readers; an "offline — this pass
// still works" badge; and a banner when renewal is pending or re-authentication is needed, shown
// before it blocks anyone. Everything here works without the network; only `renewQuietly()` uses it.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// One pass as the screen draws it.
public struct PassCard: Equatable, Identifiable {
    /// The pass slot id (stable across renewals).
    public let passId: String
    /// Holder's name.
    public let holderName: String
    /// The kind of pass, as a word.
    public let kind: UiText
    /// "Valid until …" (or "Expired on …").
    public let validity: UiText
    /// Where the pass stands.
    public let state: PassState
    /// The code to draw (one byte per module, 1 = dark), or `nil` when it cannot be made.
    public let qr: QrView?
    /// Seconds until the code changes.
    public let secondsUntilRotation: Int
    /// What a screen reader says for the code.
    public let accessibilityLabel: UiText

    /// The pass id, for SwiftUI lists.
    public var id: String { passId }
}

/// What the pass screen shows.
public struct PassScreenState: Equatable {
    /// The passes, in a stable order.
    public var cards: [PassCard] = []
    /// No network the last time it was needed: "offline — this pass still works".
    public var offline = false
    /// A notice above the passes (renewal pending, re-authentication needed, expired).
    public var banner: UiText?
    /// Which pass the banner's button re-authenticates, if it has one.
    public var reauthenticatePassId: String?
    /// No pass yet: show the enrolment screen.
    public var needsEnrolment = true
    /// The last trust-list refresh failed for a reason other than no network (the renewal ran all
    /// the same); the banner says so when nothing more urgent is shown.
    public var trustListRefreshFailed = false

    /// The state before the first `refresh()`.
    public init() {}
}

/// What a quiet renewal did.
public struct QuietRenewal: Equatable, Sendable {
    /// Passes renewed.
    public let renewed: Int
    /// When to try again (device seconds), if anything is scheduled.
    public let nextAttemptAt: UInt64?

    /// `renewed` passes renewed; try again at `nextAttemptAt`.
    public init(renewed: Int, nextAttemptAt: UInt64?) {
        self.renewed = renewed
        self.nextAttemptAt = nextAttemptAt
    }
}

/// The pass screen's logic; the screen calls `refresh()` every second and `renewQuietly()` now and then.
@MainActor
public final class PassViewModel: ObservableObject {
    /// The current screen state.
    @Published public private(set) var state = PassScreenState()

    private let host: WalletHost
    private let clock: DeviceClock
    private let format: TimeFormat

    /// The pass screen of the wallet in `host`, at `clock`'s time, with dates in `format`.
    public init(host: WalletHost, clock: DeviceClock, format: TimeFormat = TimeFormat()) {
        self.host = host
        self.clock = clock
        self.format = format
    }

    /// Rebuilds the cards from the wallet (no network): call on start and every second.
    public func refresh() {
        let now = clock.now()
        let passes = host.wallet.passes(now: now)
        let reauthenticate = passes.first {
            $0.state == .revoked || $0.state == .reauthenticationRequired || $0.state == .expired
        }
        var next = state
        next.cards = passes.map { card($0, now: now) }
        next.banner = banner(passes) ?? (state.trustListRefreshFailed ? UiText("banner_trust_list_refresh_failed") : nil)
        next.reauthenticatePassId = reauthenticate?.id
        next.needsEnrolment = passes.isEmpty
        state = next
    }

    /// Refreshes the trust list and renews what is due, quietly: a failure changes only the badge
    /// and the banner, never the passes shown. The renewal runs whether or not the trust list could
    /// be refreshed (a failed refresh puts up a banner). Says how many passes were renewed and when
    /// to try again (device seconds, the earliest time the core gave), for the background scheduler.
    @discardableResult
    public func renewQuietly() async -> QuietRenewal {
        let result: QuietRenewal
        if host.simulateOffline {
            state.offline = true
            result = QuietRenewal(renewed: 0, nextAttemptAt: nil)
        } else {
            let wallet = host.wallet
            var listError: DoorpassError?
            do {
                _ = try await wallet.refreshTrustList(now: clock.now())
            } catch {
                listError = doorpassError(error)
            }
            // Offline already has its badge; any other failure (a busy issuer, a list that does not
            // check) gets the banner.
            state.trustListRefreshFailed = listError != nil && !isOffline(listError)
            do {
                let outcomes = try await wallet.renewIfDue(now: clock.now()).map(\.outcome)
                state.offline = isOffline(listError)
                result = QuietRenewal(renewed: outcomes.filter(\.isRenewed).count,
                                      nextAttemptAt: nextAttempt(outcomes) ?? wallet.nextRenewalAt())
            } catch {
                state.offline = isOffline(doorpassError(error)) || isOffline(listError)
                result = QuietRenewal(renewed: 0, nextAttemptAt: wallet.nextRenewalAt())
            }
        }
        refresh()
        return result
    }

    private func isOffline(_ error: DoorpassError?) -> Bool {
        if case .Offline = error { return true }
        return false
    }

    private func card(_ pass: PassSummary, now: UInt64) -> PassCard {
        let qr = try? host.wallet.currentQr(passId: pass.id, now: now, staticCode: false)
        let kind = UiText(kindKey(pass.kind))
        let until = format.date(pass.expiresAt)
        return PassCard(
            passId: pass.id,
            holderName: pass.holderName,
            kind: kind,
            validity: UiText(pass.state == .expired ? "pass_expired_on" : "pass_valid_until", until),
            state: pass.state,
            qr: qr,
            secondsUntilRotation: Int(qr?.secondsUntilRotation ?? 0),
            accessibilityLabel: UiText("a11y_pass_code", pass.holderName, kind, until))
    }

    private func banner(_ passes: [PassSummary]) -> UiText? {
        if let pass = passes.first(where: { $0.state == .revoked }) {
            return UiText("banner_pass_revoked", pass.holderName)
        }
        if let pass = passes.first(where: { $0.state == .reauthenticationRequired }) {
            return UiText("banner_reauthentication_required", pass.holderName, format.date(pass.expiresAt))
        }
        if let pass = passes.first(where: { $0.state == .expired }) {
            return UiText("banner_expired", pass.holderName)
        }
        if let pass = passes.first(where: { $0.state == .missing }) {
            return UiText("banner_pass_missing", pass.holderName)
        }
        if let pass = passes.first(where: { $0.state == .renewDue && $0.lastRenewalError != nil }) {
            return UiText("banner_renewal_pending", pass.holderName, format.date(pass.expiresAt))
        }
        return nil
    }
}

/// The earliest moment any of `outcomes` asks to be tried again, if one does.
public func nextAttempt(_ outcomes: [RenewalOutcome]) -> UInt64? {
    outcomes.compactMap { outcome -> UInt64? in
        switch outcome {
        case let .notDue(renewAfter): return renewAfter
        case let .renewed(_, renewAfter): return renewAfter
        case let .waiting(retryAt): return retryAt
        case let .deferred(retryAt, _, _): return retryAt
        case .reauthenticationRequired: return nil
        }
    }.min()
}

extension RenewalOutcome {
    /// A new pass was stored.
    var isRenewed: Bool {
        if case .renewed = self { return true }
        return false
    }
}
