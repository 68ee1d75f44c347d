// The pass and enrolment view models against the real core and real loopback issuers: first launch
// to a pass on screen, the same pass offline after a relaunch, a quiet renewal, and an expired pass
// taken through re-authentication without losing the one in hand.
package org.doorpass.passui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.doorpass.core.PassState
import org.junit.jupiter.api.Test

class PassScreensTest {
    @Test
    fun firstLaunchEnrolsAndShowsThePassThenShowsItOfflineAfterARelaunch() = runBlocking {
        val home = Files.createTempDirectory("doorpass-ui")
        val secrets = InMemorySecrets()
        val clock = ShiftedClock()
        val host = freshHost(Shell.stoppableIssuer, secrets, home)
        val screen = PassViewModel(host, clock, utc)
        screen.refresh()
        assertTrue(screen.state.value.needsEnrolment, "first launch: no pass yet")

        val done = enrolThroughScreens(host, clock, Shell.stoppableIssuer, "ui-kt-1")
        screen.refresh()
        val card = screen.state.value.cards.single()
        assertEquals(done.passId, card.passId)
        assertEquals("UI Tester 1", card.holderName)
        val qr = assertNotNull(card.qr)
        assertEquals(qr.size.toInt() * qr.size.toInt(), qr.modules.size)
        assertTrue(card.secondsUntilRotation in 1..30, "countdown ${card.secondsUntilRotation}")
        for (table in listOf(Shell.english, Shell.korean)) {
            val label = table.get(card.accessibilityLabel)
            assertTrue("UI Tester 1" in label && "%" !in label, label)
        }

        // The app is closed and the issuer stops; the app is launched again.
        Shell.stopStoppableIssuer()
        val relaunched = freshHost(Shell.stoppableIssuer, secrets, home)
        val offline = PassViewModel(relaunched, clock, utc)
        offline.refresh()
        val shown = offline.state.value.cards.single()
        assertEquals(card.passId, shown.passId)
        assertNotNull(shown.qr, "the code still renders")
        assertTrue(shown.secondsUntilRotation in 1..30, "and counts down: ${shown.secondsUntilRotation}")
        offline.renewQuietly()
        assertTrue(offline.state.value.offline, "offline badge")
        assertNull(offline.state.value.banner, "nothing blocks the holder")
        assertEquals(PassState.ACTIVE, offline.state.value.cards.single().state)

        // And the door, offline too, accepts that code.
        val door = doorScreen(Shell.issuer, clock)
        door.verify(assertNotNull(offline.state.value.cards.single().qr).text)
        val valid = door.state.value.result as DoorResult.Valid
        assertEquals("UI Tester 1", valid.holderName)
        assertEquals("1990-01-01", valid.birthDate)
    }

    @Test
    fun aPassDueForRenewalIsRenewedQuietly() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.issuer)
        enrolThroughScreens(host, clock, Shell.issuer, "ui-kt-2")
        val before = host.wallet.passes(clock.now()).single()
        val at = clock.now()
        val codeBefore = host.wallet.currentQr(null, at, false).text
        // QA's clock offset: just past renew-after.
        clock.offsetSeconds = (before.renewAfter - clock.now()).toLong() + 5
        val screen = PassViewModel(host, clock, utc)
        screen.refresh()
        assertEquals(PassState.RENEW_DUE, screen.state.value.cards.single().state)
        val result = screen.renewQuietly()
        assertEquals(1, result.renewed)
        assertFalse(screen.state.value.offline)
        assertNull(screen.state.value.banner)
        val after = host.wallet.passes(clock.now()).single()
        assertEquals(before.id, after.id, "same pass slot")
        // The same instant's code differs only if the pass in it does (signatures are deterministic).
        assertNotEquals(codeBefore, host.wallet.currentQr(null, at, false).text, "a new pass")
    }

    @Test
    fun anExpiredPassGoesThroughReauthenticationAndIsKeptUntilThen() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.shortIssuer)
        val done = enrolThroughScreens(host, clock, Shell.shortIssuer, "ui-kt-3")
        Thread.sleep(3_200) // the pass (3 s) and its refresh token (no grace) expire
        val screen = PassViewModel(host, clock, utc)
        screen.renewQuietly()
        val state = screen.state.value
        assertEquals(done.passId, state.reauthenticatePassId)
        val banner = assertNotNull(state.banner)
        for (table in listOf(Shell.english, Shell.korean)) assertTrue("UI Tester 3" in table.get(banner))
        assertEquals(done.passId, state.cards.single().passId, "the pass in hand is still shown")

        val enrol = EnrolViewModel(host, clock, utc)
        enrol.reauthenticate(done.passId)
        val asking = enrol.step.value as EnrolStep.EnterCode
        assertTrue(asking.reauthentication)
        enrol.submitCode("000000".take(asking.codeLength).replace('0', '1'))
        val wrong = (enrol.step.value as EnrolStep.EnterCode).error
        // (A wrong guess is possible but so unlikely that it is not handled.)
        assertEquals(ErrorAction.RETYPE_CODE, wrong?.action)
        enrol.submitCode(sentCode(Shell.shortIssuer, "ui-kt-3"))
        assertEquals(done.passId, (enrol.step.value as EnrolStep.Done).passId)
        screen.refresh()
        assertEquals(PassState.ACTIVE, screen.state.value.cards.single().state)
        assertNull(screen.state.value.banner)
    }
}
