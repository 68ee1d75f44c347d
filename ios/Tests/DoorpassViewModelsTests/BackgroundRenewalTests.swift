// What the background renewal submits to BGTaskScheduler (as the app maps it): a processing task
// that requires external power and a network from the core's run-at, and an app refresh task from
// its deadline; only the refresh for a pass too close to expiry to wait; nothing without a pass;
// both planned again from a fresh plan after a run. Against the real core and loopback issuers, as
// android/passui's RenewalConstraintsTest checks WorkManager's works.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

final class BackgroundRenewalTests: XCTestCase {
    func testTheProcessingTaskWaitsForPowerUntilTheDeadlineThenTheRefreshTaskRuns() throws {
        let nothing = BackgroundRenewalRequests(plan: nil, delaySeconds: 7)
        XCTAssertNil(nothing.processing)
        XCTAssertNil(nothing.refresh)
        XCTAssertEqual(nothing.cancelled, ["org.doorpass.renewal.processing", "org.doorpass.renewal"])

        let both = BackgroundRenewalRequests(plan: RenewalPlan(runAt: 1_000, relaxAt: 44_200), delaySeconds: 7)
        XCTAssertEqual(both.processing, BackgroundTaskRequest(
            identifier: "org.doorpass.renewal.processing", kind: .processing, beginAt: 1_007,
            requiresExternalPower: true, requiresNetworkConnectivity: true))
        XCTAssertEqual(both.refresh, BackgroundTaskRequest(
            identifier: "org.doorpass.renewal", kind: .appRefresh, beginAt: 44_207,
            requiresExternalPower: false, requiresNetworkConnectivity: false))
        XCTAssertEqual(both.submitted.map(\.identifier), BackgroundRenewalTaskID.all)
        XCTAssertEqual(both.cancelled, [])

        // The dates on the system clock: the device clock may be shifted (QA), the wait is not.
        let date = Date(timeIntervalSince1970: 5_000_000)
        let processing = try XCTUnwrap(both.processing)
        XCTAssertEqual(processing.earliestBeginDate(now: 1_000, at: date), date.addingTimeInterval(7))
        XCTAssertEqual(processing.earliestBeginDate(now: 2_000, at: date), date, "a time passed is now")
        XCTAssertEqual(both.refresh?.earliestBeginDate(now: 200, at: date), date.addingTimeInterval(44_007))

        // No time to wait (a deadline not after the run, or none known): only the refresh, at the run.
        for relaxAt in [1_000, 10, nil] as [UInt64?] {
            let requests = BackgroundRenewalRequests(nextRunAt: 1_000, relaxAt: relaxAt)
            XCTAssertNil(requests.processing, "\(String(describing: relaxAt))")
            XCTAssertEqual(requests.refresh?.beginAt, 1_000)
            XCTAssertEqual(requests.refresh?.kind, .appRefresh)
            XCTAssertEqual(requests.cancelled, [BackgroundRenewalTaskID.processing])
        }
        // A run that could not finish retries in a quarter of an hour on any conditions.
        XCTAssertEqual(BackgroundRun(renewed: 0, nextRunAt: 900).requests(),
                       BackgroundRenewalRequests(nextRunAt: 900, relaxAt: 900))
    }

    func testAWaitingRetryComesFirstAndTheDeadlineStays() {
        let plan = RenewalPlan(runAt: 5_000, relaxAt: 9_000)
        XCTAssertEqual(nextRun([.waiting(retryAt: 3_000)], plan: plan), RenewalPlan(runAt: 3_000, relaxAt: 9_000))
        XCTAssertEqual(nextRun([.waiting(retryAt: 9_500)], plan: plan), plan, "a later retry changes nothing")
        XCTAssertEqual(nextRun([.notDue(renewAfter: 100)], plan: plan), plan, "the plan already has it")
        XCTAssertEqual(nextRun([], plan: plan), plan)
        XCTAssertEqual(nextRun([.waiting(retryAt: 3_000)], plan: nil), RenewalPlan(runAt: 3_000, relaxAt: 3_000))
        XCTAssertNil(nextRun([], plan: nil))
    }

    @MainActor
    func testABackgroundRunSubmitsBothTasksFromTheCorePlanAndPlansThemAgainAfterRenewing() async throws {
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        var random = FixedRandom(seed: 7)
        let empty = await runBackgroundRenewal(host: host, clock: clock, using: &random)
        XCTAssertEqual(empty, BackgroundRun(renewed: 0, nextRunAt: nil))
        XCTAssertEqual(empty.requests(), BackgroundRenewalRequests(nextRunAt: nil, relaxAt: nil), "no pass")

        _ = try await enrolThroughScreens(host, clock, issuer, "ui-sw-7")
        let plan = try XCTUnwrap(host.wallet.renewalPlan(now: clock.now()))
        XCTAssertEqual(plan.runAt, host.wallet.nextRenewalAt())
        // 12 h of waiting for good conditions after renew-after, unless the issuer drew it within
        // 48 h of expiry (the test issuer draws anywhere in the last third of a 30-day pass).
        XCTAssertEqual(plan.relaxAt, try expectedDeadline(host, clock))

        let run = await runBackgroundRenewal(host: host, clock: clock, using: &random)
        XCTAssertEqual(run.renewed, 0, "not due yet")
        let delay = try XCTUnwrap(run.nextRunAt) - plan.runAt
        XCTAssertLessThan(delay, 600, "up to 10 minutes after the core's time")
        XCTAssertEqual(run.relaxAt, plan.relaxAt + delay, "the same random delay for both")
        let requests = run.requests()
        XCTAssertEqual(requests, BackgroundRenewalRequests(plan: plan, delaySeconds: delay))
        let refresh = try XCTUnwrap(requests.refresh)
        XCTAssertEqual(refresh.beginAt, plan.relaxAt + delay)
        // The clock is not shifted: device seconds are the system's, so the dates are the plan's.
        let now = clock.now()
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        XCTAssertEqual(refresh.earliestBeginDate(now: now, at: date),
                       Date(timeIntervalSince1970: TimeInterval(plan.relaxAt + delay)))
        if let processing = requests.processing {
            XCTAssertEqual(processing.beginAt, plan.runAt + delay)
            XCTAssertTrue(processing.requiresExternalPower && processing.requiresNetworkConnectivity)
            XCTAssertEqual(processing.earliestBeginDate(now: now, at: date),
                           Date(timeIntervalSince1970: TimeInterval(plan.runAt + delay)))
        } else {
            XCTAssertEqual(plan.relaxAt, plan.runAt, "only a pass with no time to wait skips the processing task")
        }
        // Going to the background submits the same plan, with a delay of its own.
        let planned = plannedBackgroundRun(host: host, clock: clock, using: &random)
        XCTAssertEqual(planned.renewed, 0)
        let plannedDelay = try XCTUnwrap(planned.nextRunAt) - plan.runAt
        XCTAssertEqual(planned.requests(), BackgroundRenewalRequests(plan: plan, delaySeconds: plannedDelay))

        // A task runs once the pass is due: it renews, and both are planned afresh from the
        // renewed pass's plan, no longer the old one.
        clock.offsetSeconds = Int64(plan.runAt + delay) - Int64(now) + 5
        let after = await runBackgroundRenewal(host: host, clock: clock, using: &random)
        XCTAssertEqual(after.renewed, 1)
        let fresh = try XCTUnwrap(host.wallet.renewalPlan(now: clock.now()))
        XCTAssertGreaterThan(fresh.runAt, plan.relaxAt, "the renewed pass is due days later")
        XCTAssertEqual(fresh.relaxAt, try expectedDeadline(host, clock))
        let freshDelay = try XCTUnwrap(after.nextRunAt) - fresh.runAt
        XCTAssertLessThan(freshDelay, 600)
        XCTAssertEqual(after.requests(), BackgroundRenewalRequests(plan: fresh, delaySeconds: freshDelay))
        XCTAssertNotEqual(after.requests().refresh, requests.refresh)
        // The other task running too finds nothing due and plans the same times again.
        let other = await runBackgroundRenewal(host: host, clock: clock, using: &random)
        XCTAssertEqual(other.renewed, 0)
        let otherDelay = try XCTUnwrap(other.nextRunAt) - fresh.runAt
        XCTAssertLessThan(otherDelay, 600)
        XCTAssertEqual(other.requests(), BackgroundRenewalRequests(plan: fresh, delaySeconds: otherDelay))
    }

    /// The deadline the core should give the wallet's one pass (docs/renewal-timing.md): 12 h after
    /// its renew-after, at the latest 36 h before it expires, never before the run; on the device's
    /// clock (the pass's times are the issuer's; the test issuer has no busy hours).
    private func expectedDeadline(_ host: WalletHost, _ clock: ShiftedClock) throws -> UInt64 {
        let pass = try XCTUnwrap(host.wallet.passes(now: clock.now()).first)
        let offset = host.wallet.clockStatus().offsetSeconds ?? 0
        let renewAfter = Int64(pass.renewAfter) - offset
        let expiresAt = Int64(pass.expiresAt) - offset
        let runAt = try XCTUnwrap(host.wallet.renewalPlan(now: clock.now())).runAt
        return max(runAt, UInt64(min(renewAfter + 12 * 3600, expiresAt - 36 * 3600)))
    }

    @MainActor
    func testAPassTooCloseToExpiryToWaitGetsOnlyTheRefreshTask() async throws {
        let short = try Shell.shortIssuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, short)
        _ = try await enrolThroughScreens(host, clock, short, "ui-sw-8")
        // The short issuer's passes live 3 s: no time to wait for power.
        let plan = try XCTUnwrap(host.wallet.renewalPlan(now: clock.now()))
        XCTAssertEqual(plan.runAt, plan.relaxAt)
        var random = FixedRandom(seed: 3)
        let run = plannedBackgroundRun(host: host, clock: clock, using: &random)
        let requests = run.requests()
        XCTAssertNil(requests.processing)
        let refresh = try XCTUnwrap(requests.refresh)
        XCTAssertEqual(refresh.kind, .appRefresh)
        XCTAssertTrue((plan.runAt..<plan.runAt + 600).contains(refresh.beginAt))
        XCTAssertEqual(requests.cancelled, [BackgroundRenewalTaskID.processing])
    }
}

/// A seeded generator (SplitMix64), so a test's random delays are the same on every run.
struct FixedRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
