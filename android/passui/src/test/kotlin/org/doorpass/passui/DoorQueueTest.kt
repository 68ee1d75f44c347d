// Door mode for a queue against the real core: 50 mixed codes scanned back to back through the door
// view model (valid, screenshot-old, revoked, foreign: signed vectors and a real issuer's code) give
// the right verdicts in order with no tap between guests, the check log's summary counts them, its
// CSV holds no name; and the scanner's pacing, on a test clock.
package org.doorpass.passui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.doorpass.core.Anchor
import org.doorpass.core.DoorSignal
import org.doorpass.core.DoorVerifier
import org.junit.jupiter.api.Test

class DoorQueueTest {
    /** A settable monotonic clock: the scanner's pacing without sleeping. */
    private class TestMillis(var now: Long = 1_000_000) : MonotonicMillis {
        override fun now(): Long = now
    }

    /** A settable device clock (the vectors are checked at their own times). */
    private class TestClock(var now: ULong) : DeviceClock {
        override fun now(): ULong = now
    }

    /** The shared vector [name]: its QR text and the time it is checked at. */
    private fun vector(name: String): Pair<String, ULong> {
        val cases = Files.readString(Shell.vectors.resolve("cases.json"))
        val case = Regex("\\{[^{}]*\"name\"\\s*:\\s*\"$name\"[^{}]*\\}").find(cases)!!.value
        val qr = Regex("\"qr_text\"\\s*:\\s*\"([^\"]+)\"").find(case)!!.groupValues[1]
        val at = Regex("\"at\"\\s*:\\s*([0-9]+)").find(case)!!.groupValues[1].toULong()
        return qr to at
    }

    /** A door of the vectors' issuer with its trust list and status list. */
    private fun vectorDoor(at: ULong): DoorVerifier {
        val door = DoorVerifier.open(
            Files.createTempDirectory("doorpass-door").toString(),
            Anchor.Pem(Files.readString(Shell.vectors.resolve("anchor.pub.pem"))),
            DoorSettings().config(null).copy(clockToleranceSeconds = 60u),
        )
        door.updateTrustList(Files.readAllBytes(Shell.vectors.resolve("trust-list.cose")), at)
        door.updateStatusList(Files.readAllBytes(Shell.vectors.resolve("status-list.cose")), at)
        return door
    }

    @Test
    fun fiftyMixedCodesBackToBackGiveTheRightVerdictsInOrderAndTheSummaryCountsThem() = runBlocking {
        val (valid, at) = vector("valid_not_revoked_in_status_list")
        val (screenshot, screenshotAt) = vector("stale_step_screenshot")
        val (revoked, _) = vector("revoked_in_status_list")
        val (foreign, _) = vector("unknown_issuer")
        // A live code from the real loopback issuer: foreign to this door too.
        val wallet = freshHost(Shell.issuer)
        enrolThroughScreens(wallet, ShiftedClock(), Shell.issuer, "ui-kt-8")
        val live = wallet.wallet.currentQr(null, ShiftedClock().now(), false).text

        val clock = TestClock(at)
        val millis = TestMillis()
        val screen = VerifyViewModel(vectorDoor(at), clock, utc, millis = millis)
        val kinds = listOf("valid", "screenshot", "valid", "revoked", "foreign")
        val verdicts = mutableListOf<DoorResult>()
        for (i in 0 until 50) {
            val kind = kinds[i % kinds.size]
            // The screenshot is today's code shown two minutes later; the rest at the vectors' time.
            clock.now = if (kind == "screenshot") screenshotAt else at
            val code = when (kind) {
                "valid" -> valid
                "screenshot" -> screenshot
                "revoked" -> revoked
                else -> if (i % 2 == 0) foreign else live
            }
            assertTrue(screen.onScanned(code), "guest $i ($kind) was scanned with no tap")
            verdicts += screen.state.value.result
            // The next guest steps up: under a second later the scanner is ready again by itself.
            millis.now += 900
            screen.tick()
            assertTrue(screen.state.value.scannerReady, "ready for guest ${i + 1}")
        }
        verdicts.forEachIndexed { i, verdict ->
            when (kinds[i % kinds.size]) {
                "valid" -> {
                    val shown = assertIs<DoorResult.Valid>(verdict, "guest $i")
                    assertEquals(DoorSignal.VALID, shown.signal, "guest $i")
                    assertTrue(shown.initials.isNotBlank() && shown.initials != shown.holderName, "initials only: ${shown.initials}")
                }
                "screenshot" -> assertEquals(DoorResult.Refused(UiText("refusal_stale_code")), verdict, "guest $i")
                "revoked" -> assertEquals(DoorResult.Refused(UiText("refusal_revoked")), verdict, "guest $i")
                else -> assertEquals(DoorResult.Refused(UiText("refusal_unknown_issuer")), verdict, "guest $i")
            }
            assertEquals(if (verdict is DoorResult.Valid) DoorSignal.VALID else DoorSignal.REFUSED, verdict.signal)
        }
        assertEquals(50L, screen.state.value.verdictNumber)

        // Today's summary counts them: 20 valid, 30 refused.
        clock.now = screenshotAt
        screen.refreshToday()
        val today = assertNotNull(screen.state.value.today)
        assertTrue(Shell.english.get(today).startsWith("Today: 50 checked, 30 refused"), Shell.english.get(today))
        assertTrue(Shell.korean.get(today).contains("50명 확인") && Shell.korean.get(today).contains("30명 거부"), Shell.korean.get(today))
        // The CSV for an inspector: a header, then buckets; no name, no code.
        val export = assertNotNull(screen.exportCheckLog())
        assertEquals("doorpass-checks-2027-01-15.csv", export.fileName)
        val lines = export.csv.trim().lines()
        assertTrue(lines.size >= 2, export.csv)
        for (secret in listOf(valid, revoked, live, "UI Tester 8")) assertFalse(secret in export.csv, "the CSV holds $secret")
    }

    @Test
    fun theScannerTakesTheNextCodeWithinASecondIgnoresTheCodeStillInFrontAndClearsTheVerdict() = runBlocking {
        val (valid, at) = vector("valid_not_revoked_in_status_list")
        val (revoked, _) = vector("revoked_in_status_list")
        val millis = TestMillis()
        val screen = VerifyViewModel(vectorDoor(at), TestClock(at), utc, millis = millis)
        assertTrue(screen.state.value.scannerReady)
        assertTrue(screen.onScanned(valid))
        val shown = assertIs<DoorResult.Valid>(screen.state.value.result)
        assertFalse(screen.state.value.scannerReady)
        // Minimal display by default; the full name and birth date on a tap, hidden again at the next verdict.
        assertFalse(screen.state.value.showFullIdentity)
        assertTrue(Shell.english.get(shown.birthday).startsWith("Birthday"), "${shown.birthday}")
        screen.toggleFullIdentity()
        assertTrue(screen.state.value.showFullIdentity)

        // Half a second later: a new code is not taken yet (one verdict at a time).
        millis.now += 500
        screen.tick()
        assertFalse(screen.onScanned(revoked))
        assertEquals(1L, screen.state.value.verdictNumber)
        // 0.8 s after the verdict the scanner is ready, with no tap.
        millis.now += 300
        screen.tick()
        assertTrue(screen.state.value.scannerReady)
        // The same phone still in front of the camera is not checked again (nor counted twice).
        assertFalse(screen.onScanned(valid))
        assertTrue(screen.onScanned(revoked))
        assertEquals(DoorResult.Refused(UiText("refusal_revoked")), screen.state.value.result)
        assertFalse(screen.state.value.showFullIdentity)
        assertEquals(2L, screen.state.value.verdictNumber)
        // Eight seconds on, the verdict leaves the screen, so it is never read as the next guest's.
        millis.now += 8_000
        screen.tick()
        assertEquals(DoorResult.Idle, screen.state.value.result)
        assertNull(screen.state.value.result.signal)
        // A code other than the last one checked is a new guest.
        assertTrue(screen.onScanned(valid))
        assertEquals(3L, screen.state.value.verdictNumber)
    }
}
