// The app's boot clock through the bindings against the real core: a phone clock set ahead or back
// after an issuer answer does not move the codes (a door at the true time accepts them, a door at
// the time the clock showed refuses them); after a restart the phone clock is used again.
package org.doorpass.core

import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

/** A boot clock as the app's (`SystemClock.elapsedRealtime()`), that the test can restart. */
class TestBootClock(seconds: Long, private var bootId: String) : BootClock {
    private var baseMillis = seconds * 1000
    private var sinceNanos = System.nanoTime()

    /** A restart: from now the clock reads [seconds] on, in the boot named [bootId]. */
    @Synchronized
    fun restart(seconds: Long, bootId: String) {
        baseMillis = seconds * 1000
        sinceNanos = System.nanoTime()
        this.bootId = bootId
    }

    @Synchronized
    override fun read(): BootClockReading = BootClockReading(
        elapsedMillis = (baseMillis + (System.nanoTime() - sinceNanos) / 1_000_000).toULong(),
        bootId = bootId,
    )
}

class BootClockTest {
    @Test
    fun aPhoneClockSetAheadOrBackDrawsCodesForTheTrueTimeUntilARestart(): Unit = runBlocking {
        val boot = TestBootClock(50_000, "boot-1")
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.issuer), MemorySecretStore(), boot)
        enrol(wallet, Env.issuer, "demo-park")
        val door = doorFor(Env.issuer)

        for (shift in listOf(3_600L, 86_400L, -3_600L)) {
            val shown = (nowSeconds().toLong() + shift).toULong()
            val code = wallet.currentQr(null, shown, false).text
            assertIs<VerificationResult.Valid>(door.verify(code, nowSeconds()), "shift $shift")
            if (shift > 0) {
                // (A door clock set back before its trust list was signed refuses to judge at all.)
                val then = door.verify(code, (nowSeconds().toLong() + shift).toULong())
                assertIs<VerificationResult.Refused>(then, "a door at the time the clock showed refuses it")
            }
            val ignored = wallet.clockStatus().deviceClockIgnoredSeconds
            assertTrue(ignored != null && ignored in (shift - 5)..(shift + 5), "ignored $ignored, shift $shift")
        }

        // Within the doors' tolerance the phone clock is used.
        wallet.currentQr(null, nowSeconds() + 20u, false)
        assertNull(wallet.clockStatus().deviceClockIgnoredSeconds)

        // After a restart (a smaller reading) the elapsed time is unknown: the phone clock is used.
        boot.restart(30, "boot-1")
        val ahead = nowSeconds() + 3_600u
        val code = wallet.currentQr(null, ahead, false).text
        assertIs<VerificationResult.Valid>(door.verify(code, nowSeconds() + 3_600u))
        assertNull(wallet.clockStatus().deviceClockIgnoredSeconds)
        wallet.close()
    }
}
