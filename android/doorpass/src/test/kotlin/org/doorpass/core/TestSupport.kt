// Shared helpers of the JVM tests: the issuers started by scripts/test-bindings.sh, fresh folders, the
// one-time code read back from a dev issuer (over HTTPS trusting the test CA, for the HTTPS issuer),
// and an in-memory secret store that counts its calls.
package org.doorpass.core

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

object Env {
    fun get(name: String): String =
        System.getenv(name) ?: error("$name is not set: run the tests through scripts/test-bindings.sh")

    val issuer get() = get("DOORPASS_ISSUER_URL")
    val busyIssuer get() = get("DOORPASS_BUSY_ISSUER_URL")
    val slowIssuer get() = get("DOORPASS_SLOW_ISSUER_URL")
    val shortIssuer get() = get("DOORPASS_SHORT_ISSUER_URL")
    val downIssuer get() = get("DOORPASS_DOWN_ISSUER_URL")
    /** A dev issuer started with `--attestation require` (issue 22 part 3). */
    val attestingIssuer get() = get("DOORPASS_ATTESTING_ISSUER_URL")
    /** The dev issuer over HTTPS, `https://127.0.0.1:PORT`, its certificate signed by the test CA. */
    val tlsIssuer get() = get("DOORPASS_TLS_ISSUER_URL")
    /** The test CA's certificate (PEM), the root a test or QA build adds. */
    val testCaPem: String get() = Files.readString(Path.of(get("DOORPASS_TEST_CA_PEM")))
    /** The SPKI pin of the HTTPS issuer's key; the pins of two keys no issuer has. */
    val tlsIssuerKeyPin get() = get("DOORPASS_TLS_ISSUER_KEY_PIN")
    val unrelatedKeyPins get() = listOf(get("DOORPASS_TLS_UNRELATED_KEY_PIN_A"), get("DOORPASS_TLS_UNRELATED_KEY_PIN_B"))
    val anchor get() = Anchor.Pem(Files.readString(Path.of(get("DOORPASS_ANCHOR_PEM"))))
    val vectors: Path get() = Path.of(get("DOORPASS_VECTORS"))
}

fun nowSeconds(): ULong = (System.currentTimeMillis() / 1000).toULong()

fun freshDir(): Path = Files.createTempDirectory("doorpass-kt")

/** `replaceIssuerUrl`: reopen a wallet made for another issuer URL (the tests' "issuer is gone"). */
fun walletConfig(issuerUrl: String, replaceIssuerUrl: Boolean = false) =
    WalletConfig(
        issuerUrl = issuerUrl,
        anchor = Env.anchor,
        allowPlainHttp = false,
        httpTimeoutSeconds = 5u,
        replaceIssuerUrl = replaceIssuerUrl,
    )

fun openWallet(home: Path, issuerUrl: String, store: SecretStore, replaceIssuerUrl: Boolean = false): Wallet =
    Wallet.open(home.toString(), walletConfig(issuerUrl, replaceIssuerUrl), store)

private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

/** A TLS context whose only root is the test CA: certificates are still checked, names included. */
private fun trustingTheTestCa(): SSLContext {
    val ca = CertificateFactory.getInstance("X.509").generateCertificate(Env.testCaPem.byteInputStream())
    val roots = KeyStore.getInstance(KeyStore.getDefaultType())
    roots.load(null, null)
    roots.setCertificateEntry("doorpass-test-ca", ca)
    val trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
    trust.init(roots)
    return SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
}

/** For the HTTPS issuer's dev codes; made on first use, so that plain-http tests do not need the CA. */
private val httpsToTheTestIssuer: HttpClient by lazy {
    HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trustingTheTestCa()).build()
}

/** The last code a dev issuer sent to `subject` (GET /dev/otp/{subject}). */
fun devCode(issuerUrl: String, subject: String): String {
    val request = HttpRequest.newBuilder(URI.create("$issuerUrl/dev/otp/$subject"))
        .timeout(Duration.ofSeconds(5)).build()
    val client = if (issuerUrl.startsWith("https://")) httpsToTheTestIssuer else http
    val response = client.send(request, HttpResponse.BodyHandlers.ofString())
    check(response.statusCode() == 200) { "GET /dev/otp/$subject answered ${response.statusCode()}" }
    val body = response.body()
    return Regex("\"code\"\\s*:\\s*\"(\\d+)\"").find(body)?.groupValues?.get(1)
        ?: error("no code in the dev issuer's answer")
}

/** Enrols `subject` on `issuerUrl`: code requested, read back, and traded for a pass. */
suspend fun enrol(wallet: Wallet, issuerUrl: String, subject: String): PassSummary {
    wallet.startEnrolment(subject, nowSeconds())
    return wallet.completeEnrolment(devCode(issuerUrl, subject), nowSeconds())
}

/** A door verifier pinned to the test issuers' anchor, with their trust list fetched over HTTP. */
suspend fun doorFor(issuerUrl: String): DoorVerifier {
    val door = DoorVerifier.open(
        freshDir().toString(),
        Env.anchor,
        DoorConfig(issuerUrl = issuerUrl, allowStaticCodes = false, clockToleranceSeconds = 0u),
    )
    door.refreshTrustList(nowSeconds())
    return door
}

/** Secrets in memory, as an app's Keystore-backed store would hold them; counts the calls. */
class MemorySecretStore : SecretStore {
    val secrets = ConcurrentHashMap<String, ByteArray>()
    val gets = AtomicInteger()
    val sets = AtomicInteger()
    val names: MutableSet<String> = ConcurrentHashMap.newKeySet()

    override fun get(name: String): ByteArray? {
        gets.incrementAndGet()
        return secrets[name]
    }

    override fun set(name: String, secret: ByteArray) {
        sets.incrementAndGet()
        names.add(name)
        secrets[name] = secret.copyOf()
    }

    override fun delete(name: String) {
        secrets.remove(name)
    }

    override fun describe(): String = "test memory store"
}
