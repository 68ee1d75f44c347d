// A holder key the core never sees (issue 22 part 2): a HolderSigner written in Kotlin with
// java.security (EC secp256r1, SHA256withECDSA: DER signatures, as the Android Keystore gives them)
// drives enrolment, the code at the door and renewal through the real core and a real issuer.
package org.doorpass.core

import java.math.BigInteger
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

/** An EC P-256 key in java.security, standing in for the Keystore's: the core gets its public
 *  point and DER signatures, never the private key. */
class JavaSecuritySigner : HolderSigner {
    private val pair = KeyPairGenerator.getInstance("EC")
        .apply { initialize(ECGenParameterSpec("secp256r1")) }
        .generateKeyPair()
    val signatures = AtomicInteger()

    override fun algorithm(): HolderKeyAlgorithm = HolderKeyAlgorithm.P256

    /** The uncompressed SEC1 point, 0x04 ‖ x ‖ y (65 bytes). */
    override fun publicKey(): ByteArray {
        val point = (pair.public as ECPublicKey).w
        return byteArrayOf(4) + fixed32(point.affineX) + fixed32(point.affineY)
    }

    override fun sign(message: ByteArray): ByteArray {
        signatures.incrementAndGet()
        return Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    private fun fixed32(n: BigInteger): ByteArray {
        val bytes = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
        return ByteArray(32 - bytes.size) + bytes
    }
}

class HolderSignerTest {
    @Test
    fun aJavaSecuritySignerEnrolsShowsACodeTheDoorAcceptsAndRenews(): Unit = runBlocking {
        val signer = JavaSecuritySigner()
        val store = MemorySecretStore()
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.issuer), store, holderSigner = signer)
        val pass = enrol(wallet, Env.issuer, "demo-choi")
        assertTrue(store.names.none { it.endsWith("holder-key") }, "no private key in the store: ${store.names}")
        assertTrue(signer.signatures.get() >= 1, "the enrolment proof came from the signer")
        val door = doorFor(Env.issuer)
        val now = nowSeconds()
        assertIs<VerificationResult.Valid>(door.verify(wallet.currentQr(pass.id, now, false).text, now))

        val later = pass.renewAfter
        val renewals = wallet.renewIfDue(later)
        assertEquals(1, renewals.size)
        assertIs<RenewalOutcome.Renewed>(renewals[0].outcome)
        // The phone's clock jumped ahead; the code is drawn for the issuer's (the door's) time.
        val verdict = door.verify(wallet.currentQr(pass.id, later, false).text, nowSeconds())
        assertIs<VerificationResult.Valid>(verdict, "$verdict")
    }

    @Test
    fun aSignerWhoseKeyIsGoneIsKeystoreUnavailable(): Unit = runBlocking {
        val gone = object : HolderSigner {
            override fun algorithm() = HolderKeyAlgorithm.P256
            override fun publicKey(): ByteArray = throw HolderSignerFailure.KeyUnavailable("key invalidated")
            override fun sign(message: ByteArray): ByteArray = throw HolderSignerFailure.SigningFailed("no key")
        }
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.issuer), MemorySecretStore(), holderSigner = gone)
        val error = assertFailsWith<DoorpassException.KeystoreUnavailable> {
            wallet.startEnrolment("demo-choi", nowSeconds())
        }
        assertTrue(error.detail.contains("key invalidated"), error.detail)
    }
}
