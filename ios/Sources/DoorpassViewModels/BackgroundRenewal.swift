// What the background job (BGTaskScheduler on iOS, WorkManager on Android) runs: renew what is due,
// fetch the passes' revocation lists whose time has come (best effort), then say when to run next,
// never sooner than the core's retry time, spread by a random delay so that a country's phones do
// not wake at the same second.

import DoorpassCore
import Foundation

/// One background run's result.
public struct BackgroundRun: Equatable, Sendable {
    /// Passes renewed in this run.
    public let renewed: Int
    /// When to run again (device seconds), or `nil` when nothing is scheduled (no pass).
    public let nextRunAt: UInt64?

    /// `renewed` passes renewed; run again at `nextRunAt`.
    public init(renewed: Int, nextRunAt: UInt64?) {
        self.renewed = renewed
        self.nextRunAt = nextRunAt
    }
}

/// Renews what is due through `host` and plans the next run, with the system's random delay.
public func runBackgroundRenewal(host: WalletHost, clock: DeviceClock) async -> BackgroundRun {
    var generator = SystemRandomNumberGenerator()
    return await runBackgroundRenewal(host: host, clock: clock, using: &generator)
}

/// Renews what is due through `host` and plans the next run, its random delay drawn from `generator`.
public func runBackgroundRenewal<Generator: RandomNumberGenerator>(
    host: WalletHost, clock: DeviceClock, using generator: inout Generator
) async -> BackgroundRun {
    // Busy elsewhere or no network: try again in a quarter of an hour at most.
    func inAQuarterOfAnHour() -> BackgroundRun { BackgroundRun(renewed: 0, nextRunAt: clock.now() + 900) }
    if host.simulateOffline { return inAQuarterOfAnHour() }
    let wallet = host.wallet
    let outcomes: [RenewalOutcome]
    do {
        outcomes = try await wallet.renewIfDue(now: clock.now()).map(\.outcome)
    } catch {
        return inAQuarterOfAnHour()
    }
    let renewed = outcomes.filter(\.isRenewed).count
    // Whether a pass was revoked: never needed for the code, so a failure here changes nothing.
    _ = try? await wallet.refreshStatusLists(now: clock.now())
    guard let next = nextAttempt(outcomes) ?? wallet.nextRenewalAt() else {
        return BackgroundRun(renewed: renewed, nextRunAt: nil)
    }
    // Never before the core's time; up to 10 minutes later, at random.
    return BackgroundRun(renewed: renewed, nextRunAt: next + UInt64.random(in: 0..<600, using: &generator))
}
