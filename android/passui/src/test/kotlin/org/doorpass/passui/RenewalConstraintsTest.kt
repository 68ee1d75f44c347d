// What the background renewal queues (as WorkManager maps it): a run on good conditions (unmetered
// network, charging) from the core's run-at, and a run on any network from its deadline; only the
// latter for a pass too close to expiry to wait; nothing without a pass. Against the real core and
// issuers, as the Swift suite checks its own scheduling.
package org.doorpass.passui

import kotlin.random.Random
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlinx.coroutines.runBlocking
import org.doorpass.core.RenewalOutcome
import org.doorpass.core.RenewalPlan
import org.junit.jupiter.api.Test

class RenewalConstraintsTest {
    @Test
    fun theQueueWaitsForGoodConditionsUntilTheDeadlineThenTakesAnyNetwork() {
        assertEquals(RenewalQueue(null, null), renewalQueue(null, null), "nothing planned: both cancelled")
        val both = renewalQueue(1_000uL, 44_200uL)
        assertEquals(
            QueuedRenewal(RenewalWork.ON_GOOD_CONDITIONS, 1_000uL, RenewalConstraints(RenewalNetwork.UNMETERED, requiresCharging = true)),
            both.onGoodConditions,
        )
        assertEquals(
            QueuedRenewal(RenewalWork.DEADLINE, 44_200uL, RenewalConstraints(RenewalNetwork.CONNECTED, requiresCharging = false)),
            both.deadline,
        )
        assertEquals(both.deadline, both[RenewalWork.DEADLINE])
        assertEquals("doorpass-renewal-deadline", RenewalWork.DEADLINE.uniqueName)
        // No time to wait (a deadline not after the run, or none known): any network, at once.
        for (relaxAt in listOf(1_000uL, 10uL, null)) {
            val queue = renewalQueue(1_000uL, relaxAt)
            assertNull(queue.onGoodConditions, "$relaxAt")
            assertEquals(QueuedRenewal(RenewalWork.DEADLINE, 1_000uL, RenewalConstraints.ANY_NETWORK), queue.deadline)
        }
        // Another process held the wallet: its retry comes first, the deadline stays.
        val plan = RenewalPlan(runAt = 5_000uL, relaxAt = 9_000uL)
        assertEquals(RenewalPlan(3_000uL, 9_000uL), nextRun(listOf(RenewalOutcome.Waiting(3_000uL)), plan))
        assertEquals(plan, nextRun(emptyList(), plan))
        assertNull(nextRun(emptyList(), null))
    }

    @Test
    fun aBackgroundRunPlansBothWorksFromTheCorePlan() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.issuer)
        assertEquals(RenewalQueue(null, null), runBackgroundRenewal(host, clock).queue(), "no pass")
        enrolThroughScreens(host, clock, Shell.issuer, "ui-kt-9")
        val plan = assertNotNull(host.wallet.renewalPlan(clock.now()))
        // 12 h of waiting for good conditions after renew-after, unless the issuer drew renew-after
        // within 48 h of expiry (the test issuer draws anywhere in the last third of a 30-day pass).
        assertEquals(expectedDeadline(host, clock, plan.runAt), plan.relaxAt)
        assertEquals(host.wallet.nextRenewalAt(), plan.runAt)

        val run = runBackgroundRenewal(host, clock, Random(7))
        val spread = assertNotNull(run.nextRunAt) - plan.runAt
        assertEquals(plan.relaxAt + spread, run.relaxAt, "the same random delay for both")
        val queue = run.queue()
        if (plan.relaxAt > plan.runAt) {
            assertEquals(QueuedRenewal(RenewalWork.ON_GOOD_CONDITIONS, run.nextRunAt!!, RenewalConstraints.GOOD_CONDITIONS), queue.onGoodConditions)
        } else {
            // Renew-after drawn within 36 h of expiry: no time to wait for good conditions.
            assertNull(queue.onGoodConditions)
            assertEquals(run.nextRunAt, run.relaxAt)
        }
        assertEquals(QueuedRenewal(RenewalWork.DEADLINE, run.relaxAt!!, RenewalConstraints.ANY_NETWORK), queue.deadline)

        // The pass screen's quiet renewal plans the same works (without the random delay).
        val quiet = PassViewModel(host, clock, utc).renewQuietly()
        assertEquals(renewalQueue(plan.runAt, plan.relaxAt), quiet.queue())
    }

    @Test
    fun aPassTooCloseToExpiryToWaitIsQueuedOnAnyNetworkOnly() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.shortIssuer)
        enrolThroughScreens(host, clock, Shell.shortIssuer, "ui-kt-6")
        // The short issuer's passes live 3 s.
        val plan = assertNotNull(host.wallet.renewalPlan(clock.now()))
        assertEquals(plan.runAt, plan.relaxAt)
        val queue = renewalQueue(plan.runAt, plan.relaxAt)
        assertNull(queue.onGoodConditions)
        assertEquals(RenewalConstraints.ANY_NETWORK, assertNotNull(queue.deadline).constraints)
    }
}
