// What the background job (WorkManager on Android, BGTaskScheduler on iOS) runs: renew what is due,
// fetch the passes' revocation lists whose time has come (best effort), then say when to run next,
// never sooner than the core's retry time, spread by a random delay so that a country's phones do
// not wake at the same second; and from when that next run goes on any network rather than waiting
// for good conditions (the core's plan: RenewalConstraints.kt).
package org.doorpass.passui

import kotlin.random.Random
import org.doorpass.core.RenewalOutcome
import org.doorpass.core.RenewalPlan

/** One background run's result. */
data class BackgroundRun(
    /** Passes renewed in this run. */
    val renewed: Int,
    /** When to run again (device seconds), or `null` when nothing is scheduled (no pass). */
    val nextRunAt: ULong?,
    /**
     * From when that run goes on any network (device seconds, never before [nextRunAt]); until then
     * it waits for good conditions. `null` with [nextRunAt].
     */
    val relaxAt: ULong? = nextRunAt,
) {
    /** The works to queue for the next run. */
    fun queue(): RenewalQueue = renewalQueue(nextRunAt, relaxAt)
}

/** Renews what is due through [host] and plans the next run. */
suspend fun runBackgroundRenewal(host: WalletHost, clock: DeviceClock, random: Random = Random.Default): BackgroundRun {
    if (host.simulateOffline) return BackgroundRun(0, clock.now() + 900uL)
    val wallet = host.wallet
    val outcomes = try {
        wallet.renewIfDue(clock.now()).map { it.outcome }
    } catch (e: Throwable) {
        // Busy elsewhere, no network, or anything else: try again in a quarter of an hour at most.
        rethrowIfCancelled(e)
        return BackgroundRun(0, clock.now() + 900uL)
    }
    val renewed = outcomes.count { it is RenewalOutcome.Renewed }
    // Whether a pass was revoked: never needed for the code, so a failure here changes nothing.
    try {
        wallet.refreshStatusLists(clock.now())
    } catch (e: Throwable) {
        rethrowIfCancelled(e) // Otherwise kept for the next run.
    }
    val plan = try {
        nextRun(outcomes, wallet.renewalPlan(clock.now()))
    } catch (e: Throwable) {
        rethrowIfCancelled(e)
        return BackgroundRun(renewed, clock.now() + 900uL)
    } ?: return BackgroundRun(renewed, null)
    // Never before the core's times; up to 10 minutes later, at random (the same delay for both).
    val spread = random.nextLong(0, 600).toULong()
    return BackgroundRun(renewed, plan.runAt + spread, plan.relaxAt + spread)
}

/**
 * The next run after [outcomes]: the core's [plan] (every pass, its backoff and the busy hours),
 * brought forward to a `Waiting` retry the core keeps no record of (another process held the
 * wallet). `null` when nothing is planned.
 */
fun nextRun(outcomes: List<RenewalOutcome>, plan: RenewalPlan?): RenewalPlan? {
    val retry = outcomes.filterIsInstance<RenewalOutcome.Waiting>().minOfOrNull { it.retryAt }
    if (plan == null) return retry?.let { RenewalPlan(it, it) }
    val runAt = if (retry == null) plan.runAt else minOf(retry, plan.runAt)
    return RenewalPlan(runAt, maxOf(runAt, plan.relaxAt))
}
