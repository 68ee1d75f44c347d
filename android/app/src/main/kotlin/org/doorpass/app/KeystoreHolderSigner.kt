// The holder key on Android (issue 22): a P-256 key made in the Android Keystore — StrongBox when the
// phone has one, else the TEE — that cannot be exported. The core asks it for its public point and
// for SHA256withECDSA signatures (DER; the core converts and normalises them) and never sees the
// private key. No per-use user authentication: a code is drawn every 30 s. docs/holder-keys.md.
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
import org.doorpass.core.HolderKeyAlgorithm
import org.doorpass.core.HolderSigner
import org.doorpass.core.HolderSignerFailure

/**
 * The core's [HolderSigner] over a Keystore key under [ALIAS], made on first use.
 * [attestationChallenge]: the issuer's challenge, put in the key's attestation (issue 22 part 3);
 * `null` makes the key without one. Safe to call from any thread.
 */
class KeystoreHolderSigner(
    context: Context,
    private val attestationChallenge: ByteArray? = null,
) : HolderSigner {
    private val strongBoxPresent = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
    private val lock = Any()

    override fun algorithm(): HolderKeyAlgorithm = HolderKeyAlgorithm.P256

    /** The uncompressed point, `0x04 ‖ x ‖ y` (65 bytes). */
    @Throws(HolderSignerFailure::class)
    override fun publicKey(): ByteArray = guarded {
        val point = (entry().certificate.publicKey as ECPublicKey).w
        byteArrayOf(4) + fixed32(point.affineX) + fixed32(point.affineY)
    }

    /** A DER SHA256withECDSA signature over [message]. */
    @Throws(HolderSignerFailure::class)
    override fun sign(message: ByteArray): ByteArray = guarded {
        Signature.getInstance("SHA256withECDSA").run {
            initSign(entry().privateKey)
            update(message)
            sign()
        }
    }

    private fun entry(): KeyStore.PrivateKeyEntry = synchronized(lock) {
        val keyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (keyStore.getEntry(ALIAS, null) as? KeyStore.PrivateKeyEntry) ?: run {
            generate(strongBox = strongBoxPresent)
            keyStore.getEntry(ALIAS, null) as KeyStore.PrivateKeyEntry
        }
    }

    /** Makes the key, in StrongBox when asked and present, falling back to the TEE. */
    private fun generate(strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setUserAuthenticationRequired(false)
        attestationChallenge?.let { spec.setAttestationChallenge(it) }
        if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) spec.setIsStrongBoxBacked(true)
        try {
            KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, KEYSTORE).run {
                initialize(spec.build())
                generateKeyPair()
            }
        } catch (e: StrongBoxUnavailableException) {
            if (!strongBox) throw e
            generate(strongBox = false)
        }
    }

    private fun fixed32(n: BigInteger): ByteArray {
        val bytes = n.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
        return ByteArray(32 - bytes.size) + bytes
    }

    /** Keystore failures as the core's: an invalidated key is gone; anything else failed. */
    private fun <T> guarded(body: () -> T): T = try {
        body()
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw HolderSignerFailure.KeyUnavailable("the holder key was invalidated")
    } catch (e: GeneralSecurityException) {
        throw HolderSignerFailure.SigningFailed(e.javaClass.simpleName)
    } catch (e: ProviderException) {
        throw HolderSignerFailure.SigningFailed(e.javaClass.simpleName)
    } catch (e: ClassCastException) {
        throw HolderSignerFailure.KeyUnavailable("the key under $ALIAS is not a P-256 key")
    }

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "doorpass-holder-p256"
    }
}
