// The wallet's status calls and housekeeping through the generated bindings: clock and trust-list
// status, damaged files, the pinned anchor as raw bytes, cancelling an enrolment, removing a pass.
package org.doorpass.core

import java.nio.file.Files
import java.util.Base64
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class WalletStatusTest {
    /** The anchor's 32 key bytes: the end of the SubjectPublicKeyInfo DER inside the PEM. */
    private fun anchorKeyBytes(): ByteArray {
        val pem = (Env.anchor as Anchor.Pem).text
        val der = Base64.getMimeDecoder().decode(pem.lines().filter { !it.startsWith("-----") }.joinToString(""))
        return der.copyOfRange(der.size - 32, der.size)
    }

    @Test
    fun statusCallsReportTheClockTheTrustListAndTheSchedule(): Unit = runBlocking {
        val home = freshDir()
        val wallet = Wallet.open(
            home.toString(),
            WalletConfig(Env.issuer, Anchor.Key(anchorKeyBytes()), false, 0u, false),
            MemorySecretStore(),
        )
        assertEquals(null, wallet.clockStatus().syncedAt)
        assertEquals(null, wallet.trustListStatus(nowSeconds()))
        assertEquals(null, wallet.nextRenewalAt())
        assertEquals(emptyList(), wallet.problems())

        // A phone clock 2 hours behind the issuer. The trust list (a GET, which a cache may answer)
        // does not set the clock; starting an enrolment (a POST the issuer answers) does, and the
        // wallet corrects for it.
        val behind = nowSeconds() - 7_200u
        val list = wallet.refreshTrustList(behind)
        assertTrue(list.version >= 1u)
        assertEquals(null, wallet.clockStatus().syncedAt)
        assertEquals(list.version, wallet.trustListStatus(behind)?.version)

        wallet.startEnrolment("demo-kim", behind)
        val clock = wallet.clockStatus()
        assertEquals(behind, clock.syncedAt)
        val offset = assertNotNull(clock.offsetSeconds)
        assertTrue(offset in 7_190L..7_210L, "offset $offset")
        assertTrue(clock.skewed)
        assertEquals(null, clock.rejectedOffsetSeconds)
        val pass = wallet.completeEnrolment(devCode(Env.issuer, "demo-kim"), behind)
        assertTrue(pass.expiresAt > nowSeconds(), "expiry is in issuer time")
        val next = assertNotNull(wallet.nextRenewalAt())
        assertTrue(next < pass.renewAfter, "the schedule is in device time, corrected back")
        assertIs<WalletState.Ready>(wallet.state())
        assertEquals(1u, (wallet.state() as WalletState.Ready).passes)
    }

    @Test
    fun aCancelledEnrolmentAndARemovedPassLeaveNothingBehind(): Unit = runBlocking {
        val store = MemorySecretStore()
        val wallet = openWallet(freshDir(), Env.issuer, store)
        wallet.startEnrolment("demo-lee", nowSeconds())
        assertIs<WalletState.AwaitingCode>(wallet.state())
        wallet.cancelEnrolment()
        assertEquals(WalletState.NotEnrolled, wallet.state())
        assertTrue(store.secrets.isEmpty(), "the new holder key is forgotten: ${store.secrets.keys}")

        val pass = enrol(wallet, Env.issuer, "demo-lee")
        assertEquals(2, store.secrets.size)
        wallet.removePass(pass.id)
        assertEquals(emptyList(), wallet.passes(nowSeconds()))
        assertTrue(store.secrets.isEmpty(), "secrets left: ${store.secrets.keys}")
        assertFailsWith<DoorpassException.UnknownPass> { wallet.removePass(pass.id) }
    }

    @Test
    fun aDamagedTrustListIsSetAsideAndReported(): Unit = runBlocking {
        val home = freshDir()
        val wallet = openWallet(home, Env.issuer, MemorySecretStore())
        wallet.refreshTrustList(nowSeconds())
        wallet.close()
        Files.write(home.resolve("trust-list.cose"), byteArrayOf(1, 2, 3))
        val reopened = openWallet(home, Env.issuer, MemorySecretStore())
        val problem = reopened.problems().single()
        assertTrue(problem.file.endsWith("trust-list.cose"), problem.file)
        assertTrue(Files.exists(java.nio.file.Path.of(problem.movedTo)))
        assertEquals(null, reopened.trustListStatus(nowSeconds()))
        assertNotNull(reopened.refreshTrustList(nowSeconds()))
    }
}
