// Every error an app reacts to differently, as the generated Kotlin exceptions.
package org.doorpass.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class ErrorsTest {
    @Test
    fun aWrongCodeSaysHowManyTriesAreLeftAndTheRightOneStillWorks(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.issuer, MemorySecretStore())
        wallet.startEnrolment("demo-choi", nowSeconds())
        val right = devCode(Env.issuer, "demo-choi")
        val wrong = if (right == "000000") "111111" else "000000"
        val error = assertFailsWith<DoorpassException.InvalidCode> { wallet.completeEnrolment(wrong, nowSeconds()) }
        assertTrue(error.attemptsLeft in 1u..4u, "attempts left ${error.attemptsLeft}")
        assertEquals("Choi Daniel", wallet.completeEnrolment(right, nowSeconds()).holderName)
    }

    @Test
    fun aBusyIssuerSaysWhenToComeBack(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.busyIssuer, MemorySecretStore())
        val error = assertFailsWith<DoorpassException.RateLimited> { wallet.startEnrolment("demo-kim", nowSeconds()) }
        assertTrue(error.retryAfterSeconds >= 1u, "retry after ${error.retryAfterSeconds}")
        assertEquals(WalletState.NotEnrolled, wallet.state())
    }

    @Test
    fun noNetworkIsOffline(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.downIssuer, MemorySecretStore())
        assertFailsWith<DoorpassException.Offline> { wallet.startEnrolment("demo-kim", nowSeconds()) }
        assertFailsWith<DoorpassException.Offline> { wallet.refreshTrustList(nowSeconds()) }
    }

    @Test
    fun callsOutOfOrderAndBadInputAreNamed(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.issuer, MemorySecretStore())
        assertFailsWith<DoorpassException.NoEnrolmentInProgress> { wallet.completeEnrolment("123456", nowSeconds()) }
        assertFailsWith<DoorpassException.NotEnrolled> { wallet.currentQr(null, nowSeconds(), false) }
        assertFailsWith<DoorpassException.InvalidInput> { wallet.startEnrolment("  ", nowSeconds()) }
        assertFailsWith<DoorpassException.UnknownPass> { wallet.renewNow("nope", nowSeconds()) }
        assertFailsWith<DoorpassException.InvalidInput> {
            Wallet.open(freshDir().toString(), walletConfig("http://issuer.example"), MemorySecretStore())
        }
        assertFailsWith<DoorpassException.InvalidInput> {
            Wallet.open(
                freshDir().toString(),
                WalletConfig(Env.issuer, Anchor.Key(ByteArray(5)), false, 0u, false),
                MemorySecretStore(),
            )
        }
    }

    @Test
    fun aRefusedRenewalAsksForReauthenticationAndKeepsThePassUntilThen(): Unit = runBlocking {
        val wallet = openWallet(freshDir(), Env.shortIssuer, MemorySecretStore())
        val pass = enrol(wallet, Env.shortIssuer, "demo-kim")
        delay(4_000) // the short issuer's pass and refresh token are now both expired
        val now = nowSeconds()
        val outcome = wallet.renewIfDue(now).single().outcome
        assertIs<RenewalOutcome.ReauthenticationRequired>(outcome)
        assertEquals(PassState.REAUTHENTICATION_REQUIRED, wallet.passes(now).single().state)
        assertIs<RenewalOutcome.ReauthenticationRequired>(wallet.renewNow(pass.id, now))
        // The pass in hand is still drawn (the door decides it has expired), with the reason spoken.
        val qr = wallet.currentQr(pass.id, now, false)
        assertTrue(qr.accessibilityLabel.contains("sign in again"), qr.accessibilityLabel)

        val pending = wallet.reauthenticate(pass.id, now)
        assertTrue(pending.reauthentication)
        val again = wallet.completeEnrolment(devCode(Env.shortIssuer, "demo-kim"), nowSeconds())
        assertEquals(pass.id, again.id, "re-authentication keeps the pass's place in the wallet")
        assertEquals(PassState.ACTIVE, again.state)
    }
}
