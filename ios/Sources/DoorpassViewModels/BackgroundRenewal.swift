// What the background job (BGTaskScheduler on iOS, WorkManager on Android) runs: renew what is due,
// fetch the passes' revocation lists whose time has come (best effort), then say when to run next,
// never sooner than the core's plan (Wallet.renewalPlan), spread by a random delay so that a
// country's phones do not wake at the same second; and from when that next run goes on any
// conditions rather than waiting for external power. Then the mapping of that run to the iOS task
// requests, as plain values (the app turns them into BGTaskScheduler's; see BackgroundRenewalRequests).

import DoorpassCore
import Foundation

/// One background run's result.
public struct BackgroundRun: Equatable, Sendable {
    /// Passes renewed in this run.
    public let renewed: Int
    /// When to run again (device seconds), or `nil` when nothing is scheduled (no pass).
    public let nextRunAt: UInt64?
    /// From when that run goes on any conditions (device seconds, never before `nextRunAt`); until
    /// then it waits for external power. `nil` with `nextRunAt`.
    public let relaxAt: UInt64?

    /// `renewed` passes renewed; run again at `nextRunAt`, on any conditions from `relaxAt`
    /// (`nextRunAt` when not given: no time to wait).
    public init(renewed: Int, nextRunAt: UInt64?, relaxAt: UInt64? = nil) {
        self.renewed = renewed
        self.nextRunAt = nextRunAt
        self.relaxAt = nextRunAt.map { max($0, relaxAt ?? $0) }
    }

    /// The task requests to submit for the next run.
    public func requests() -> BackgroundRenewalRequests {
        BackgroundRenewalRequests(nextRunAt: nextRunAt, relaxAt: relaxAt)
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
    let plan = nextRun(outcomes, plan: wallet.renewalPlan(now: clock.now()))
    return spread(plan, renewed: renewed, using: &generator)
}

/// The next run for the wallet's plan as it stands (when the app goes to the background), with
/// the system's random delay; nothing is renewed.
public func plannedBackgroundRun(host: WalletHost, clock: DeviceClock) -> BackgroundRun {
    var generator = SystemRandomNumberGenerator()
    return plannedBackgroundRun(host: host, clock: clock, using: &generator)
}

/// The next run for the wallet's plan as it stands, its random delay drawn from `generator`.
public func plannedBackgroundRun<Generator: RandomNumberGenerator>(
    host: WalletHost, clock: DeviceClock, using generator: inout Generator
) -> BackgroundRun {
    spread(host.wallet.renewalPlan(now: clock.now()), renewed: 0, using: &generator)
}

/// The next run after `outcomes`: the core's `plan` (every pass, its backoff and the busy hours),
/// brought forward to a `waiting` retry the core keeps no record of (another process held the
/// wallet). `nil` when nothing is planned.
public func nextRun(_ outcomes: [RenewalOutcome], plan: RenewalPlan?) -> RenewalPlan? {
    let retry = outcomes.compactMap { outcome -> UInt64? in
        if case let .waiting(retryAt) = outcome { return retryAt }
        return nil
    }.min()
    guard let plan else { return retry.map { RenewalPlan(runAt: $0, relaxAt: $0) } }
    let runAt = retry.map { min($0, plan.runAt) } ?? plan.runAt
    return RenewalPlan(runAt: runAt, relaxAt: max(runAt, plan.relaxAt))
}

/// The most a background run is put off past the core's times, at random (exclusive: 10 minutes).
public let backgroundRenewalMaxDelaySeconds: UInt64 = 600

/// `plan` put off by one random delay, the same for both of its times: never before the core's
/// times, up to 10 minutes later.
private func spread<Generator: RandomNumberGenerator>(
    _ plan: RenewalPlan?, renewed: Int, using generator: inout Generator
) -> BackgroundRun {
    guard let plan else { return BackgroundRun(renewed: renewed, nextRunAt: nil) }
    let delay = UInt64.random(in: 0..<backgroundRenewalMaxDelaySeconds, using: &generator)
    return BackgroundRun(renewed: renewed, nextRunAt: plan.runAt + delay, relaxAt: plan.relaxAt + delay)
}

/// Which kind of BGTaskScheduler request a `BackgroundTaskRequest` stands for.
public enum BackgroundTaskKind: Equatable, Sendable {
    /// A `BGProcessingTaskRequest`: may wait for external power and a network.
    case processing
    /// A `BGAppRefreshTaskRequest`: no conditions to set; iOS picks a moment from the earliest date.
    case appRefresh
}

/// The identifiers of the two background tasks (also in Info.plist's
/// BGTaskSchedulerPermittedIdentifiers); the same work runs under either.
public enum BackgroundRenewalTaskID {
    /// The run on good conditions (external power, a network), from the plan's `runAt`.
    public static let processing = "org.doorpass.renewal.processing"
    /// The run on any conditions, from the plan's `relaxAt` (the identifier older versions used for
    /// their one refresh task, so a request they left behind still finds its handler).
    public static let refresh = "org.doorpass.renewal"
    /// Both, in the order the app registers them.
    public static let all = [processing, refresh]
}

/// One request to submit, as plain data: which task, not before when (device seconds), and on what
/// conditions (a refresh request has none: both are `false`).
public struct BackgroundTaskRequest: Equatable, Sendable {
    /// The task identifier (`BackgroundRenewalTaskID`).
    public let identifier: String
    /// Processing or app refresh.
    public let kind: BackgroundTaskKind
    /// Not before (device seconds, the clock the plan was made with).
    public let beginAt: UInt64
    /// `BGProcessingTaskRequest.requiresExternalPower`.
    public let requiresExternalPower: Bool
    /// `BGProcessingTaskRequest.requiresNetworkConnectivity`.
    public let requiresNetworkConnectivity: Bool

    /// The request for task `identifier` of `kind`, not before `beginAt`, on those conditions.
    public init(identifier: String, kind: BackgroundTaskKind, beginAt: UInt64,
                requiresExternalPower: Bool, requiresNetworkConnectivity: Bool) {
        self.identifier = identifier
        self.kind = kind
        self.beginAt = beginAt
        self.requiresExternalPower = requiresExternalPower
        self.requiresNetworkConnectivity = requiresNetworkConnectivity
    }

    /// The request's `earliestBeginDate`: `beginAt` on the device clock that reads `now` at the
    /// moment the system clock reads `date` (the QA panel may shift the device clock); never
    /// before `date`.
    public func earliestBeginDate(now: UInt64, at date: Date) -> Date {
        date.addingTimeInterval(TimeInterval(beginAt > now ? beginAt - now : 0))
    }
}

/// What to submit after a run; a request that is `nil` here is cancelled (nothing to wait for).
/// Whichever task runs first renews (renewing is idempotent: the other finds nothing due) and
/// submits both again from a fresh plan.
public struct BackgroundRenewalRequests: Equatable, Sendable {
    /// The processing task on external power and a network, when there is time to wait for them.
    public let processing: BackgroundTaskRequest?
    /// The app refresh task from the deadline, whenever anything is planned.
    public let refresh: BackgroundTaskRequest?

    /// The requests for a next run at `nextRunAt` with its deadline at `relaxAt` (device seconds,
    /// random delay included): nothing when `nextRunAt` is `nil`; only the refresh, at `nextRunAt`,
    /// when there is no time to wait (`relaxAt` not after it, or unknown); else both.
    public init(nextRunAt: UInt64?, relaxAt: UInt64?) {
        guard let nextRunAt else {
            processing = nil
            refresh = nil
            return
        }
        let deadline = max(nextRunAt, relaxAt ?? nextRunAt)
        refresh = BackgroundTaskRequest(identifier: BackgroundRenewalTaskID.refresh, kind: .appRefresh,
                                        beginAt: deadline, requiresExternalPower: false,
                                        requiresNetworkConnectivity: false)
        processing = deadline == nextRunAt ? nil
            : BackgroundTaskRequest(identifier: BackgroundRenewalTaskID.processing, kind: .processing,
                                    beginAt: nextRunAt, requiresExternalPower: true,
                                    requiresNetworkConnectivity: true)
    }

    /// The requests for the core's `plan` put off by `delaySeconds` (the same for both times).
    public init(plan: RenewalPlan?, delaySeconds: UInt64) {
        self.init(nextRunAt: plan.map { $0.runAt + delaySeconds },
                  relaxAt: plan.map { $0.relaxAt + delaySeconds })
    }

    /// The requests to submit, processing first; the identifiers of `BackgroundRenewalTaskID.all`
    /// missing here are to be cancelled.
    public var submitted: [BackgroundTaskRequest] { [processing, refresh].compactMap { $0 } }

    /// The identifiers whose pending request is to be cancelled.
    public var cancelled: [String] {
        BackgroundRenewalTaskID.all.filter { id in !submitted.contains { $0.identifier == id } }
    }
}
