// What the background job (WorkManager on Android, BGTaskScheduler on iOS) runs: renew what is due,
// fetch the passes' revocation lists whose time has come (best effort), then say when to run next,
// never sooner than the core's retry time, spread by a random delay so that a country's phones do
// not wake at the same second.
package org.doorpass.passui

import kotlin.random.Random

/** One background run's result. */
data class BackgroundRun(
    /** Passes renewed in this run. */
    val renewed: Int,
    /** When to run again (device seconds), or `null` when nothing is scheduled (no pass). */
    val nextRunAt: ULong?,
)

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
    val renewed = outcomes.count { it is org.doorpass.core.RenewalOutcome.Renewed }
    // Whether a pass was revoked: never needed for the code, so a failure here changes nothing.
    try {
        wallet.refreshStatusLists(clock.now())
    } catch (e: Throwable) {
        rethrowIfCancelled(e) // Otherwise kept for the next run.
    }
    val next = nextAttempt(outcomes)
        ?: runCatching { wallet.nextRenewalAt() }.getOrElse { return BackgroundRun(renewed, clock.now() + 900uL) }
        ?: return BackgroundRun(renewed, null)
    // Never before the core's time; up to 10 minutes later, at random.
    return BackgroundRun(renewed, next + random.nextLong(0, 600).toULong())
}
