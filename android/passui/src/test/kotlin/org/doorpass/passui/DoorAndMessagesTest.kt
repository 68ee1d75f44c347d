// The door screen on valid, expired, screenshot-old and foreign codes; and every error, refusal and
// pass kind the core can name has a Korean and an English sentence.
package org.doorpass.passui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.doorpass.core.DoorpassException
import org.doorpass.core.KeyAssurance
import org.doorpass.core.PassKind
import org.doorpass.core.RefusalReason
import org.junit.jupiter.api.Test

class DoorAndMessagesTest {
    @Test
    fun theDoorScreenSaysValidExpiredScreenshotAndForeign() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.issuer)
        enrolThroughScreens(host, clock, Shell.issuer, "ui-kt-4")
        val door = doorScreen(Shell.issuer, clock)
        suspend fun verdict(code: String): DoorResult {
            door.verify(code)
            return door.state.value.result
        }
        val now = clock.now()
        assertTrue(verdict(host.wallet.currentQr(null, now, false).text) is DoorResult.Valid)
        // A screenshot: today's code shown five minutes later. (Drawing a code for five minutes ago
        // is no longer possible: the wallet keeps codes on the time measured since the issuer's answer.)
        val screenshot = host.wallet.currentQr(null, now, false).text
        clock.offsetSeconds = 300
        assertEquals(DoorResult.Refused(UiText("refusal_stale_code")), verdict(screenshot))
        clock.offsetSeconds = 0

        val short = freshHost(Shell.shortIssuer)
        enrolThroughScreens(short, clock, Shell.shortIssuer, "ui-kt-5")
        Thread.sleep(3_200)
        assertEquals(DoorResult.Refused(UiText("refusal_expired")), verdict(short.wallet.currentQr(null, clock.now(), false).text))

        val vectors = Files.readString(Shell.vectors.resolve("cases.json"))
        val foreign = Regex("\"qr_text\"\\s*:\\s*\"(DP1:[^\"]+)\"").find(vectors)!!.groupValues[1]
        assertEquals(DoorResult.Refused(UiText("refusal_unknown_issuer")), verdict(foreign))

        val age = door.state.value.trustListAge!!
        assertTrue(Shell.korean.get(age).isNotBlank() && Shell.english.get(age).startsWith("Trust list"))
        door.clear()
        assertEquals(DoorResult.Idle, door.state.value.result)
    }

    @Test
    fun everyErrorRefusalAndKindHasAKoreanAndAnEnglishSentence() {
        val errors = listOf(
            DoorpassException.Offline("x"), DoorpassException.RateLimited(90uL),
            DoorpassException.ReauthenticationRequired(), DoorpassException.InvalidCode(2u),
            DoorpassException.CodeExpired(), DoorpassException.CodeAttemptsExhausted(),
            DoorpassException.NotEligible(), DoorpassException.IssuerRefused("x"),
            DoorpassException.InvalidPassFromIssuer("x"), DoorpassException.Storage("x"),
            DoorpassException.KeystoreUnavailable("x"), DoorpassException.ClockUntrustworthy("x"),
            DoorpassException.NotEnrolled(), DoorpassException.NoEnrolmentInProgress(),
            DoorpassException.UnknownPass("x"), DoorpassException.PassNotChosen(),
            DoorpassException.PassMissing(), DoorpassException.PassRevoked(), DoorpassException.InUse(), DoorpassException.Wiped(),
            DoorpassException.NoTrustList(), DoorpassException.InvalidInput("x"),
            DoorpassException.Internal("x"), DoorpassException.UntrustedCertificate("x"),
            DoorpassException.CertificatePinMismatch("x"), DoorpassException.CertificateNotValidNow("x"),
            DoorpassException.AttestationRequired(), DoorpassException.AttestationRefused("x"),
        )
        // All 28 variants (errorView's `when` is exhaustive, so a new one does not compile without words).
        assertEquals(28, errors.map { it::class }.toSet().size)
        val texts = errors.map { errorView(it, 1_800_000_000uL, utc).text } +
            RefusalReason.entries.map { UiText(refusalKey(it)) } +
            (PassKind.entries + listOf(null)).map { UiText(kindKey(it)) } +
            KeyAssurance.entries.map { UiText(keyAssuranceKey(it)) }
        assertEquals(texts.size, texts.map { it.key }.toSet().size, "one sentence each")
        for (text in texts) {
            val en = Shell.english.get(text)
            val ko = Shell.korean.get(text)
            assertTrue(en.isNotBlank() && ko.isNotBlank() && "%" !in en + ko, "${text.key}: $en / $ko")
            assertNotEquals(en, ko, text.key)
        }
        val rateLimited = errorView(DoorpassException.RateLimited(90uL), 1_800_000_000uL, utc)
        assertEquals("Too many attempts. Try again at 08:01.", Shell.english.get(rateLimited.text))
        assertTrue("08:01" in Shell.korean.get(rateLimited.text))
        assertEquals(
            "That code is not right. 2 tries left.",
            Shell.english.get(errorView(DoorpassException.InvalidCode(2u), 0uL, utc).text),
        )
        assertTrue("지금 가진 패스는 그대로" in Shell.korean.get(errorView(DoorpassException.Offline("x"), 0uL, utc).text))
    }
}
