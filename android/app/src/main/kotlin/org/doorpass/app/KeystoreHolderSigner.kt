// The holder keys on Android (issue 22): P-256 keys made in the Android Keystore — StrongBox when the
// phone has one, else the TEE — that cannot be exported, one per pass, each under its own alias
// (the key id the core records). The core asks for new keys, for SHA256withECDSA signatures (DER; the
// core converts and normalises them) and for deletions, and never sees a private key. When an issuer
// asks for key attestation (part 3), the new key is made with `setAttestationChallenge` and its
// certificate chain goes to the issuer, which checks it to Google's roots. No per-use user
// authentication: a code is drawn every 30 s. docs/holder-keys.md.
package org.doorpass.app

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.math.BigInteger
import java.security.GeneralSecurityException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.ProviderException
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.UUID
import org.doorpass.core.CreatedKey
import org.doorpass.core.HolderKeyAlgorithm
import org.doorpass.core.HolderSigner
import org.doorpass.core.HolderSignerFailure
import org.doorpass.core.PlatformAttestation

/** The core's [HolderSigner] over Keystore keys named `ALIAS_PREFIX + id`. Safe from any thread. */
class KeystoreHolderSigner(context: Context) : HolderSigner {
    private val strongBoxPresent = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
    private val lock = Any()

    override fun algorithm(): HolderKeyAlgorithm = HolderKeyAlgorithm.P256

    /**
     * A new key under a new alias. With [attestationChallenge], the key is bound to it and its
     * certificate chain (leaf first) is its attestation; a phone that cannot attest makes the key
     * without one, and the enrolment goes without attestation (the issuer decides).
     */
    @Throws(HolderSignerFailure::class)
    override fun createKey(attestationChallenge: ByteArray?): CreatedKey = guarded {
        synchronized(lock) {
            // The one key of issue 22 part 2, before keys had ids: nothing uses it any more.
            keyStore().run { if (containsAlias(LEGACY_ALIAS)) deleteEntry(LEGACY_ALIAS) }
            val alias = ALIAS_PREFIX + UUID.randomUUID()
            val attested = attestationChallenge != null && try {
                generate(alias, attestationChallenge, strongBox = strongBoxPresent)
                true
            } catch (e: ProviderException) {
                // Some phones fail to make an attestation certificate: a key without one.
                false
            }
            if (!attested) generate(alias, null, strongBox = strongBoxPresent)
            val keyStore = keyStore()
            val point = (keyStore.getCertificate(alias).publicKey as ECPublicKey).w
            val chain = if (attested) keyStore.getCertificateChain(alias)?.map { it.encoded } else null
            CreatedKey(
                keyId = alias,
                publicKey = byteArrayOf(4) + fixed32(point.affineX) + fixed32(point.affineY),
                attestation = chain?.takeIf { it.isNotEmpty() }?.let { PlatformAttestation.AndroidKeystore(it) },
            )
        }
    }

    /** A DER SHA256withECDSA signature over [message] by key [keyId]. */
    @Throws(HolderSignerFailure::class)
    override fun sign(keyId: String, message: ByteArray): ByteArray = guarded {
        val entry = keyStore().getEntry(keyId, null) as? KeyStore.PrivateKeyEntry
            ?: throw HolderSignerFailure.KeyUnavailable("no holder key under this id")
        Signature.getInstance("SHA256withECDSA").run {
            initSign(entry.privateKey)
            update(message)
            sign()
        }
    }

    /** Removes the alias (no pass uses the key any more, or the wallet was wiped). */
    @Throws(HolderSignerFailure::class)
    override fun deleteKey(keyId: String) = guarded {
        synchronized(lock) {
            keyStore().run { if (containsAlias(keyId)) deleteEntry(keyId) }
        }
    }

    private fun keyStore(): KeyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }

    /** Makes key [alias], in StrongBox when asked and present, falling back to the TEE. */
    private fun generate(alias: String, challenge: ByteArray?, strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setUserAuthenticationRequired(false)
        challenge?.let { spec.setAttestationChallenge(it) }
        if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) spec.setIsStrongBoxBacked(true)
        try {
            KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, KEYSTORE).run {
                initialize(spec.build())
                generateKeyPair()
            }
        } catch (e: StrongBoxUnavailableException) {
            if (!strongBox) throw e
            generate(alias, challenge, strongBox = false)
        }
    }

    private fun fixed32(n: BigInteger): ByteArray {
        val bytes = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
        return ByteArray(32 - bytes.size) + bytes
    }

    /** Keystore failures as the core's: an invalidated key is gone; anything else failed. */
    private fun <T> guarded(body: () -> T): T = try {
        body()
    } catch (e: HolderSignerFailure) {
        throw e
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw HolderSignerFailure.KeyUnavailable("the holder key was invalidated")
    } catch (e: GeneralSecurityException) {
        throw HolderSignerFailure.SigningFailed(e.javaClass.simpleName)
    } catch (e: ProviderException) {
        throw HolderSignerFailure.SigningFailed(e.javaClass.simpleName)
    } catch (e: ClassCastException) {
        throw HolderSignerFailure.KeyUnavailable("the holder key is not a P-256 key")
    } catch (e: NullPointerException) {
        throw HolderSignerFailure.KeyUnavailable("no holder key under this id")
    }

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val ALIAS_PREFIX = "doorpass-holder-p256-"
        const val LEGACY_ALIAS = "doorpass-holder-p256"
    }
}
