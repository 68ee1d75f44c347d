// The QA panel and the background renewal on a real wallet and issuer (as the Swift suite checks
// them): presets, simulated offline, clock offset, forced renewal, the log, another issuer, a wipe;
// and when the background job plans its next run, on the device's clock.
package org.doorpass.passui

import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.doorpass.core.LogLevel
import org.junit.jupiter.api.Test

class QaPanelAndBackgroundTest {
    @Test
    fun theQaPanelAndTheBackgroundRenewalOnARealWallet() = runBlocking {
        val issuer = Shell.issuer
        val clock = ShiftedClock()
        val host = freshHost(issuer)
        val log = LogBuffer(capacity = 3)
        val panel = QaPanelViewModel(host, clock, log)
        assertEquals(issuer, panel.state.value.issuerUrl)
        assertEquals(listOf("http://10.0.2.2:8080", "http://10.0.2.2:8081"), issuerPresets("10.0.2.2").map { it.url })

        // No pass: nothing to schedule.
        assertEquals(BackgroundRun(0, null), runBackgroundRenewal(host, clock))
        enrolThroughScreens(host, clock, issuer, "ui-kt-6")
        val pass = host.wallet.passes(clock.now()).single()
        val planned = runBackgroundRenewal(host, clock)
        assertEquals(0, planned.renewed)
        val next = assertNotNull(planned.nextRunAt)
        assertTrue(next >= pass.renewAfter && next < pass.renewAfter + 600uL, "never before renew-after: $next")

        panel.setSimulateOffline(true)
        assertEquals(UiText("qa_offline_on"), panel.state.value.message)
        val before = clock.now()
        val offline = runBackgroundRenewal(host, clock)
        assertEquals(0, offline.renewed)
        assertTrue(offline.nextRunAt!! in before + 900uL..clock.now() + 900uL, "${offline.nextRunAt}")
        panel.setSimulateOffline(false)
        assertEquals(UiText("qa_offline_off"), panel.state.value.message)

        panel.setClockOffset((pass.renewAfter - clock.now()).toLong() + 5)
        assertEquals(UiText("qa_clock_offset_set", panel.state.value.clockOffsetSeconds.toString()), panel.state.value.message)
        // Due now (the clock is past renew-after): the background run renews, and plans the next one.
        val background = runBackgroundRenewal(host, clock)
        assertEquals(1, background.renewed)
        val renewedPass = host.wallet.passes(clock.now()).single()
        val nextAfterRenewal = assertNotNull(background.nextRunAt)
        // On the device's clock, which QA moved ahead and the renewal's answer corrected: the pass's
        // renew-after is the issuer's time.
        val offset = host.wallet.clockStatus().offsetSeconds ?: 0L
        val renewAfterOnDevice = (renewedPass.renewAfter.toLong() - offset).toULong()
        assertTrue(
            nextAfterRenewal >= renewAfterOnDevice && nextAfterRenewal < renewAfterOnDevice + 600uL,
            "the renewed pass's renew-after $renewAfterOnDevice on the device, planned $nextAfterRenewal",
        )
        // Any network 12 h later (at the latest 36 h before expiry), with the run's random delay.
        val spread = nextAfterRenewal - renewAfterOnDevice
        assertEquals(expectedDeadline(host, clock, renewAfterOnDevice) + spread, background.relaxAt, "the deadline")
        // Renew now renews what is not due, too.
        panel.forceRenewal()
        val renewed = assertNotNull(panel.state.value.message)
        assertEquals(UiText.plural("qa_renewed", 1), renewed)
        assertEquals("1 pass renewed", Shell.english.get(renewed))

        for (n in 1..5) log.log(LogLevel.INFO, "test", "line $n")
        panel.refreshLog()
        assertEquals(listOf("INFO test: line 3", "INFO test: line 4", "INFO test: line 5"), panel.state.value.lastLog)

        val down = Shell.downIssuer
        panel.setIssuer(down)
        assertEquals(down, panel.state.value.issuerUrl)
        assertEquals(UiText("qa_issuer_set", down), panel.state.value.message)
        panel.wipe()
        assertEquals(UiText("qa_wiped"), panel.state.value.message)
        assertEquals(emptyList(), host.wallet.passes(clock.now()), "a fresh wallet after the wipe")
    }
}
