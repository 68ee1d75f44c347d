// Kotlin code called back from Rust: the app's secret store and logger; and a cancelled coroutine.
package org.doorpass.core

import java.util.Collections
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class CallbacksTest {
    @Test
    fun theAppsSecretStoreHoldsTheHolderKeyAndTheRefreshToken(): Unit = runBlocking {
        val store = MemorySecretStore()
        val wallet = openWallet(freshDir(), Env.issuer, store)
        enrol(wallet, Env.issuer, "demo-lee")
        assertTrue(store.sets.get() >= 2 && store.gets.get() >= 1, "sets ${store.sets}, gets ${store.gets}")
        assertTrue(store.names.any { it.endsWith("holder-key") }, "${store.names}")
        assertTrue(store.names.any { it.endsWith("refresh-token") }, "${store.names}")
        assertEquals(32, store.secrets.values.first().size)
    }

    @Test
    fun anUnreachableSecretStoreIsKeystoreUnavailable(): Unit = runBlocking {
        val locked = object : SecretStore {
            override fun get(name: String): ByteArray? = throw SecretStoreFailure.Unavailable("device locked")
            override fun set(name: String, secret: ByteArray) = throw SecretStoreFailure.Unavailable("device locked")
            override fun delete(name: String) = throw SecretStoreFailure.Unavailable("device locked")
            override fun describe() = "locked store"
        }
        val wallet = openWallet(freshDir(), Env.issuer, locked)
        val error = assertFailsWith<DoorpassException.KeystoreUnavailable> {
            wallet.startEnrolment("demo-kim", nowSeconds())
        }
        assertTrue(error.detail.contains("device locked"), error.detail)
    }

    @Test
    fun theAppsLoggerHearsTheCoreAndNeverASecret(): Unit = runBlocking {
        val lines = Collections.synchronizedList(mutableListOf<String>())
        setLogger(
            object : Logger {
                override fun log(level: LogLevel, target: String, message: String) {
                    lines.add("$level $target $message")
                }
            },
            LogLevel.DEBUG,
        )
        val store = MemorySecretStore()
        val wallet = openWallet(freshDir(), Env.issuer, store)
        wallet.startEnrolment("demo-choi", nowSeconds())
        val code = devCode(Env.issuer, "demo-choi")
        val pass = wallet.completeEnrolment(code, nowSeconds())
        assertIs<RenewalOutcome.Renewed>(wallet.renewNow(pass.id, nowSeconds()))
        val all = lines.toList()
        assertTrue(all.any { it.contains("renewed") }, "log lines: $all")
        assertTrue(all.none { it.contains(code) }, "a log line holds the one-time code")
        val encoded = store.secrets.values.flatMap { renderings(it) }
        assertTrue(encoded.size >= store.secrets.size * 9, "every rendering of every secret")
        assertTrue(all.none { line -> encoded.any { line.contains(it, ignoreCase = true) } }, "a log line holds a secret")
    }

    /**
     * The ways a secret could be written into a log line: hex, base64 (standard and URL-safe, with
     * and without padding), and decimal (the bytes as a list, signed or unsigned, and as one number).
     */
    private fun renderings(secret: ByteArray): List<String> {
        val hex = secret.joinToString("") { "%02x".format(it) }
        val base64 = java.util.Base64.getEncoder().encodeToString(secret)
        val base64Url = java.util.Base64.getUrlEncoder().encodeToString(secret)
        return listOf(
            hex,
            base64,
            base64.trimEnd('='),
            base64Url,
            base64Url.trimEnd('='),
            secret.joinToString(", ", "[", "]"),
            secret.joinToString(", ", "[", "]") { (it.toInt() and 0xff).toString() },
            secret.joinToString(",") { (it.toInt() and 0xff).toString() },
            java.math.BigInteger(1, secret).toString(),
        )
    }

    @Test
    fun aCancelledRenewalLeavesAWalletThatShowsItsCodeAndRenewsLater(): Unit = runBlocking {
        // The slow issuer takes 3 s for every issuance call.
        val wallet = openWallet(freshDir(), Env.slowIssuer, MemorySecretStore())
        val pass = enrol(wallet, Env.slowIssuer, "demo-park")
        val door = doorFor(Env.slowIssuer)
        val renewal = async { wallet.renewNow(pass.id, nowSeconds()) }
        delay(500)
        renewal.cancel()
        assertFailsWith<CancellationException> { renewal.await() }
        // The pass in hand is shown at once, while the abandoned renewal finishes in the background.
        val qr = wallet.currentQr(pass.id, nowSeconds(), false)
        assertIs<VerificationResult.Valid>(door.verify(qr.text, nowSeconds()))
        // The next renewal waits for it, then spends the token it stored: the chain is unbroken.
        val next = wallet.renewNow(pass.id, nowSeconds())
        assertIs<RenewalOutcome.Renewed>(next)
        assertIs<VerificationResult.Valid>(door.verify(wallet.currentQr(pass.id, nowSeconds(), false).text, nowSeconds()))
    }
}

class PlatformKeystoreTest {
    @Test
    fun withNoStoreFromTheAppThePlatformKeystoreHoldsTheSecrets(): Unit = runBlocking {
        // On Linux the platform keystore is the kernel keyring; test-bindings.sh gives the JVM a
        // session keyring of its own.
        val home = freshDir()
        val wallet = Wallet.open(home.toString(), walletConfig(Env.issuer), null)
        val pass = enrol(wallet, Env.issuer, "demo-park")
        wallet.close()
        val reopened = Wallet.open(home.toString(), walletConfig(Env.downIssuer, replaceIssuerUrl = true), null)
        assertEquals("DP1:", reopened.currentQr(pass.id, nowSeconds(), false).text.take(4))
        reopened.wipe()
    }
}
