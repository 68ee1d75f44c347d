// Holder keys the core never sees (issue 22 parts 2 and 3): a HolderSigner written in Kotlin with
// java.security (EC secp256r1, SHA256withECDSA: DER signatures, as the Android Keystore gives them)
// makes one key per pass, addressed by id, and drives enrolment, the code at the door and renewal
// through the real core and a real issuer. The JVM cannot attest a key, so its passes are
// Unattested: the door says so, a door requiring a hardware key refuses them, and an issuer that
// requires attestation refuses the enrolment.
package org.doorpass.core

import java.math.BigInteger
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

/** EC P-256 keys in java.security, standing in for the Keystore's: the core gets their public
 *  points and DER signatures, never a private key. No attestation (a JVM has no secure hardware). */
class JavaSecuritySigner : HolderSigner {
    val keys = ConcurrentHashMap<String, KeyPair>()
    val signatures = AtomicInteger()
    private val made = AtomicInteger()

    override fun algorithm(): HolderKeyAlgorithm = HolderKeyAlgorithm.P256

    override fun createKey(attestationChallenge: ByteArray?): CreatedKey {
        val pair = KeyPairGenerator.getInstance("EC")
            .apply { initialize(ECGenParameterSpec("secp256r1")) }
            .generateKeyPair()
        val id = "jvm-key-${made.incrementAndGet()}"
        keys[id] = pair
        val point = (pair.public as ECPublicKey).w
        // The uncompressed SEC1 point, 0x04 ‖ x ‖ y (65 bytes).
        val publicKey = byteArrayOf(4) + fixed32(point.affineX) + fixed32(point.affineY)
        return CreatedKey(keyId = id, publicKey = publicKey, attestation = null)
    }

    override fun sign(keyId: String, message: ByteArray): ByteArray {
        val pair = keys[keyId] ?: throw HolderSignerFailure.KeyUnavailable("no key $keyId")
        signatures.incrementAndGet()
        return Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    override fun deleteKey(keyId: String) {
        keys.remove(keyId)
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
        assertEquals(1, signer.keys.size, "one key for the pass")
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

        // Wiping the wallet deletes its platform keys too.
        wallet.wipe()
        assertEquals(emptySet(), signer.keys.keys)
    }

    @Test
    fun aPassWithoutAttestationIsUnattestedAtTheDoorAndRefusedWhereHardwareKeysAreRequired(): Unit = runBlocking {
        val signer = JavaSecuritySigner()
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.issuer), MemorySecretStore(), holderSigner = signer)
        val pass = enrol(wallet, Env.issuer, "demo-kim")
        val door = doorFor(Env.issuer)
        val now = nowSeconds()
        val code = wallet.currentQr(pass.id, now, false).text
        val valid = assertIs<VerificationResult.Valid>(door.verify(code, now))
        assertEquals(KeyAssurance.UNATTESTED, valid.keyAssurance)

        door.setConfig(
            DoorConfig(issuerUrl = Env.issuer, allowStaticCodes = false, clockToleranceSeconds = 0u, requireHardwareKey = true),
        )
        val refused = assertIs<VerificationResult.Refused>(door.verify(code, now))
        assertEquals(RefusalReason.KEY_NOT_HARDWARE_BOUND, refused.reason)
    }

    @Test
    fun anIssuerThatRequiresAttestationRefusesAPhoneThatCannotAttest(): Unit = runBlocking {
        val signer = JavaSecuritySigner()
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.attestingIssuer), MemorySecretStore(), holderSigner = signer)
        wallet.startEnrolment("demo-lee", nowSeconds())
        assertFailsWith<DoorpassException.AttestationRequired> {
            wallet.completeEnrolment(devCode(Env.attestingIssuer, "demo-lee"), nowSeconds())
        }
        // The enrolment still waits for its code; the key made for the challenge (unattested) is gone.
        assertIs<WalletState.AwaitingCode>(wallet.state())
        assertEquals(1, signer.keys.size, "only the start key: ${signer.keys.keys}")
    }

    @Test
    fun aSignerWhoseKeyIsGoneIsKeystoreUnavailable(): Unit = runBlocking {
        val gone = object : HolderSigner {
            override fun algorithm() = HolderKeyAlgorithm.P256
            override fun createKey(attestationChallenge: ByteArray?): CreatedKey =
                throw HolderSignerFailure.KeyUnavailable("key invalidated")
            override fun sign(keyId: String, message: ByteArray): ByteArray = throw HolderSignerFailure.SigningFailed("no key")
            override fun deleteKey(keyId: String) = Unit
        }
        val wallet = Wallet.open(freshDir().toString(), walletConfig(Env.issuer), MemorySecretStore(), holderSigner = gone)
        val error = assertFailsWith<DoorpassException.KeystoreUnavailable> {
            wallet.startEnrolment("demo-choi", nowSeconds())
        }
        assertTrue(error.detail.contains("key invalidated"), error.detail)
    }
}
