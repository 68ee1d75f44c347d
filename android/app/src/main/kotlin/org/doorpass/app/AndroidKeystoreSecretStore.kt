// The wallet's secrets (holder keys, refresh tokens) on Android. Each one is sealed with AES-256-GCM
// under a key that lives in the Android Keystore (StrongBox when the phone has one), cannot be
// exported and never leaves the secure hardware; the sealed bytes are files in the app's private
// no-backup folder. docs/shells.md says what this protects against and what it does not.
package org.doorpass.app

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import android.util.AtomicFile
import java.io.File
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.KeyStoreException
import java.security.ProviderException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.SecretKeyFactory
import javax.crypto.spec.GCMParameterSpec
import org.doorpass.core.SecretStore
import org.doorpass.core.SecretStoreFailure

/**
 * The core's [SecretStore] over the Android Keystore. A stored secret is the format byte, the 12-byte
 * IV the Keystore chose for it, then the ciphertext and its 16-byte tag; the secret's name is bound
 * in as associated data, so a file renamed onto another secret does not decrypt. Safe to call from
 * any thread.
 */
class AndroidKeystoreSecretStore(context: Context) : SecretStore {
    private val folder = File(context.noBackupFilesDir, "doorpass-secrets")
    private val strongBoxPresent = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
    private val lock = Any()
    private var key: SecretKey? = null

    /** The secret called [name], or `null` when none is stored. */
    @Throws(SecretStoreFailure::class)
    override fun get(name: String): ByteArray? = guarded("read") {
        val file = fileOf(name)
        if (file.baseFile.exists()) unseal(name, file.readFully()) else null
    }

    /** Seals [secret] with a fresh IV and stores it under [name], replacing what was there. */
    @Throws(SecretStoreFailure::class)
    override fun set(name: String, secret: ByteArray) = guarded("write") {
        folder.mkdirs()
        val sealed = seal(name, secret)
        val file = fileOf(name)
        val stream = file.startWrite()
        try {
            stream.write(sealed)
            file.finishWrite(stream)
        } catch (e: IOException) {
            file.failWrite(stream)
            throw e
        }
    }

    /** Deletes [name]; deleting what is not there is not an error. */
    @Throws(SecretStoreFailure::class)
    override fun delete(name: String) = guarded("delete") {
        fileOf(name).delete()
    }

    /** "Android Keystore (StrongBox)", "(TEE)" or "(software)": where the key really is. */
    override fun describe(): String {
        val level = try {
            synchronized(lock) { securityLevel(keystoreKey()) }
        } catch (e: GeneralSecurityException) {
            "unavailable"
        } catch (e: ProviderException) {
            "unavailable"
        }
        return "Android Keystore ($level)"
    }

    private fun fileOf(name: String): AtomicFile {
        // Names contain '/': the file is named after their bytes in hex.
        val hex = name.toByteArray(Charsets.UTF_8).joinToString("") { "%02x".format(it) }
        return AtomicFile(File(folder, hex))
    }

    private fun seal(name: String, secret: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // The Keystore picks a fresh random IV for every encryption (randomized encryption is required).
        cipher.init(Cipher.ENCRYPT_MODE, keystoreKey())
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        val ciphertext = cipher.doFinal(secret)
        val iv = cipher.iv
        if (iv.size != IV_BYTES) throw SecretStoreFailure.Failed("the Keystore chose a ${iv.size}-byte IV")
        return byteArrayOf(FORMAT_VERSION) + iv + ciphertext
    }

    private fun unseal(name: String, stored: ByteArray): ByteArray {
        if (stored.size < HEADER_BYTES + TAG_BITS / 8 || stored[0] != FORMAT_VERSION) {
            throw SecretStoreFailure.Failed("a stored secret is damaged (${stored.size} bytes)")
        }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, keystoreKey(), GCMParameterSpec(TAG_BITS, stored, 1, IV_BYTES))
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        return cipher.doFinal(stored, HEADER_BYTES, stored.size - HEADER_BYTES)
    }

    /** The Keystore key, created on first use. Called with [lock] held. */
    private fun keystoreKey(): SecretKey {
        key?.let { return it }
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        val existing = keyStore.getKey(KEY_ALIAS, null) as? SecretKey
        val created = existing ?: createKey().also { discardUnreadableSecrets() }
        key = created
        return created
    }

    /**
     * A new key cannot open what an earlier one sealed (the app's files outlived their Keystore key):
     * those files are deleted, so the core finds the secrets absent and asks the holder to
     * re-authenticate once, instead of failing on them forever.
     */
    private fun discardUnreadableSecrets() {
        folder.listFiles()?.forEach { it.delete() }
    }

    private fun createKey(): SecretKey {
        if (strongBoxPresent && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                return generateKey(strongBox = true)
            } catch (e: StrongBoxUnavailableException) {
                // Announced but not usable for this key: the TEE below.
            } catch (e: ProviderException) {
                // Some StrongBox implementations fail AES-256 generation: the TEE below.
            }
        }
        return generateKey(strongBox = false)
    }

    private fun generateKey(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(KEY_BITS)
            .setRandomizedEncryptionRequired(true)
        if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) spec.setIsStrongBoxBacked(true)
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(spec.build())
        return generator.generateKey()
    }

    private fun securityLevel(secretKey: SecretKey): String {
        val factory = SecretKeyFactory.getInstance(secretKey.algorithm, ANDROID_KEYSTORE)
        val info = factory.getKeySpec(secretKey, KeyInfo::class.java) as KeyInfo
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            return when (info.securityLevel) {
                KeyProperties.SECURITY_LEVEL_STRONGBOX -> "StrongBox"
                KeyProperties.SECURITY_LEVEL_TRUSTED_ENVIRONMENT -> "TEE"
                KeyProperties.SECURITY_LEVEL_SOFTWARE -> "software"
                else -> "unknown security level"
            }
        }
        return if (insideSecureHardware(info)) "secure hardware" else "software"
    }

    @Suppress("DEPRECATION") // The only answer below API 31.
    private fun insideSecureHardware(info: KeyInfo): Boolean = info.isInsideSecureHardware

    /**
     * Runs [operation] under the lock and turns platform failures into the core's
     * [SecretStoreFailure]: Unavailable when the Keystore cannot be used at all, Failed when it was
     * reached but the operation did not work. Details name the failure, never a secret.
     */
    private inline fun <T> guarded(what: String, operation: () -> T): T = synchronized(lock) {
        try {
            operation()
        } catch (e: SecretStoreFailure) {
            throw e
        } catch (e: UserNotAuthenticatedException) {
            throw SecretStoreFailure.Unavailable("$what: the Keystore key needs the phone unlocked")
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw SecretStoreFailure.Unavailable("$what: the Keystore key was invalidated")
        } catch (e: KeyStoreException) {
            throw SecretStoreFailure.Unavailable("$what: Android Keystore: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) {
            throw SecretStoreFailure.Unavailable("$what: Android Keystore: ${e.javaClass.simpleName}")
        } catch (e: AEADBadTagException) {
            throw SecretStoreFailure.Failed("$what: a stored secret does not decrypt (damaged or altered)")
        } catch (e: GeneralSecurityException) {
            throw SecretStoreFailure.Failed("$what: ${e.javaClass.simpleName}")
        } catch (e: IOException) {
            throw SecretStoreFailure.Failed("$what: ${e.javaClass.simpleName}")
        }
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val KEY_ALIAS = "doorpass-wallet-secrets"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val KEY_BITS = 256
        const val TAG_BITS = 128
        const val IV_BYTES = 12
        const val FORMAT_VERSION: Byte = 1
        const val HEADER_BYTES = 1 + IV_BYTES
    }
}
