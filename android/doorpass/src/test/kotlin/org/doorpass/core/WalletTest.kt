// The wallet through the generated bindings against real issuers on loopback: enrol, show the code
// with the issuer gone, check it at a door, renew, re-authenticate, wipe.
package org.doorpass.core

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class WalletTest {
    @Test
    fun enrolThenShowAndVerifyTheCodeWithTheIssuerGone(): Unit = runBlocking {
        val home = freshDir()
        val store = MemorySecretStore()
        val wallet = openWallet(home, Env.issuer, store)
        assertEquals(WalletState.NotEnrolled, wallet.state())
        val pending = wallet.startEnrolment("demo-kim", nowSeconds())
        assertEquals(6u, pending.codeLength)
        assertIs<WalletState.AwaitingCode>(wallet.state())
        val pass = wallet.completeEnrolment(devCode(Env.issuer, "demo-kim"), nowSeconds())
        assertEquals("Kim Minji", pass.holderName)
        assertEquals(PassState.ACTIVE, pass.state)
        assertEquals(PassKind.VACCINATION, pass.kind)
        val door = doorFor(Env.issuer)
        wallet.close()

        // No issuer any more: the same folder and secrets, pointed at a port nothing listens on.
        val offline = openWallet(home, Env.downIssuer, store, replaceIssuerUrl = true)
        val now = nowSeconds()
        val qr = offline.currentQr(null, now, false)
        assertEquals(qr.size.toInt() * qr.size.toInt(), qr.modules.size)
        assertTrue(qr.modules.all { it == 0.toByte() || it == 1.toByte() })
        assertEquals(4u, qr.quietZone)
        // 15 at most: the pass names its status list by a loopback URL of up to 34 bytes
        // (docs/qr-size.md: an issuer's short production URI keeps it at 14).
        assertTrue(qr.version in 1u..15u, "QR version ${qr.version}")
        assertTrue(qr.text.startsWith("DP1:"))
        assertTrue(qr.secondsUntilRotation in 1u..30u)
        assertTrue(qr.accessibilityLabel.contains("Kim Minji"), qr.accessibilityLabel)
        val verdict = door.verify(qr.text, now)
        assertIs<VerificationResult.Valid>(verdict)
        assertEquals("Kim Minji", verdict.holderName)
        assertEquals("1990-04-01", verdict.birthDate)
        assertEquals(PassKind.VACCINATION, verdict.kind)
        assertEquals(false, verdict.wasStatic)
        // A screenshot shown ten minutes later is refused.
        val later = door.verify(qr.text, now + 600u)
        assertIs<VerificationResult.Refused>(later)
        assertEquals(RefusalReason.STALE_CODE, later.reason)

        // Renewing with no issuer keeps the pass and asks to come back later, not at once.
        val outcome = offline.renewNow(pass.id, now)
        assertIs<RenewalOutcome.Deferred>(outcome)
        assertTrue(outcome.retryAt > now, "retry at ${outcome.retryAt}, now $now")
        val waiting = offline.renewNow(pass.id, now)
        assertIs<RenewalOutcome.Waiting>(waiting)
        assertEquals(outcome.retryAt, waiting.retryAt)
        assertTrue(offline.nextRenewalAt()!! >= outcome.retryAt, "a failed attempt is never retried sooner")
        assertIs<VerificationResult.Valid>(door.verify(offline.currentQr(null, now, false).text, now))
    }

    @Test
    fun aDuePassRenewsQuietlyAndTheNewCodeVerifies(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.issuer, MemorySecretStore())
        val pass = enrol(wallet, Env.issuer, "demo-lee")
        val door = doorFor(Env.issuer)
        assertEquals(emptyList(), wallet.renewIfDue(nowSeconds()), "nothing is due right after enrolment")
        // The phone's clock jumps to the renewal time (the issuer's clock has not moved).
        val later = pass.renewAfter
        val before = wallet.currentQr(pass.id, later, false)
        val renewals = wallet.renewIfDue(later)
        assertEquals(1, renewals.size)
        val renewed = renewals[0].outcome
        assertIs<RenewalOutcome.Renewed>(renewed)
        assertTrue(renewed.expiresAt >= pass.expiresAt)
        val qr = wallet.currentQr(pass.id, later, false)
        assertTrue(qr.text != before.text, "the code now carries the new pass")
        // The renewal answer's clock showed the phone running ahead; its code is made for the
        // issuer's time, which is the door's (correct) time.
        assertTrue(wallet.clockStatus().skewed)
        val verdict = door.verify(qr.text, nowSeconds())
        assertIs<VerificationResult.Valid>(verdict, "$verdict")
        assertEquals(PassState.ACTIVE, wallet.passes(later).single().state)
    }

    @Test
    fun wipeLeavesNothingAndEveryLaterCallSaysWiped(): Unit = runBlocking {
        val home = freshDir()
        val store = MemorySecretStore()
        val wallet = openWallet(home, Env.issuer, store)
        val pass = enrol(wallet, Env.issuer, "demo-park")
        wallet.wipe()
        assertFailsWith<DoorpassException.Wiped> { wallet.currentQr(pass.id, nowSeconds(), false) }
        assertFailsWith<DoorpassException.Wiped> { wallet.startEnrolment("demo-park", nowSeconds()) }
        assertEquals(emptyList(), wallet.passes(nowSeconds()))
        assertTrue(store.secrets.isEmpty(), "secrets left: ${store.secrets.keys}")
        assertTrue(!Files.exists(home) || Files.list(home).use { it.count() } == 0L)
    }
}
