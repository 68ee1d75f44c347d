// What the view-model tests share: the issuers scripts/test-bindings.sh started, the app's own
// string tables (Korean and English) read from the Android resources, and a wallet host in a fresh
// folder with secrets in memory.
package org.doorpass.passui

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.time.ZoneOffset
import java.util.concurrent.ConcurrentHashMap
import javax.xml.parsers.DocumentBuilderFactory
import org.doorpass.core.Anchor
import org.doorpass.core.DoorConfig
import org.doorpass.core.DoorVerifier
import org.doorpass.core.SecretStore

/** The loopback issuers and files the test script set up. */
object Shell {
    private fun env(name: String): String =
        System.getenv(name) ?: error("$name is not set: run the tests through scripts/test-bindings.sh")

    val issuer get() = env("DOORPASS_ISSUER_URL")
    val shortIssuer get() = env("DOORPASS_SHORT_ISSUER_URL")
    val downIssuer get() = env("DOORPASS_DOWN_ISSUER_URL")
    /** Takes 3 s for every issuance call: what a cancelled send or check is tried on. */
    val slowIssuer get() = env("DOORPASS_SLOW_ISSUER_URL")
    /** An issuer of this suite's own, which a test stops with [stopStoppableIssuer]. */
    val stoppableIssuer get() = env("DOORPASS_STOPPABLE_KT_ISSUER_URL")

    /**
     * Stops the stoppable issuer's process (SIGTERM) and waits until its port refuses connections
     * (not for the process to be reaped: its parent has long exited).
     */
    fun stopStoppableIssuer() {
        val process = ProcessHandle.of(env("DOORPASS_STOPPABLE_KT_ISSUER_PID").toLong())
            .orElseThrow { IllegalStateException("the stoppable issuer is not running") }
        check(process.destroy()) { "could not signal the stoppable issuer" }
        val address = URI.create(stoppableIssuer).let { java.net.InetSocketAddress(it.host, it.port) }
        repeat(100) {
            try {
                java.net.Socket().use { it.connect(address, 200) }
            } catch (e: java.io.IOException) {
                return
            }
            Thread.sleep(100)
        }
        error("the stoppable issuer still answers 10 s after SIGTERM")
    }
    val anchor get() = Anchor.Pem(Files.readString(Path.of(env("DOORPASS_ANCHOR_PEM"))))
    val vectors: Path get() = Path.of(env("DOORPASS_VECTORS"))
    val repo: Path get() = vectors.parent.parent

    /** The Android string table for `values` (English) or `values-ko` (Korean). */
    fun strings(folder: String): StringTable =
        StringTable.read(repo.resolve("android/app/src/main/res/$folder/strings.xml"))

    val english by lazy { strings("values") }
    val korean by lazy { strings("values-ko") }
}

/**
 * A parsed `strings.xml`, as [Strings]: its `<string>`s, and its `<plurals>` by quantity word
 * (`one`, `other`; the English rule: "one" for 1 when the table has it, else "other").
 */
class StringTable(val entries: Map<String, String>, val plurals: Map<String, Map<String, String>> = emptyMap()) : Strings {
    override fun pattern(key: String): String = entries[key] ?: error("no string '$key'")

    override fun pluralPattern(key: String, quantity: Long): String {
        val forms = plurals[key] ?: error("no plurals '$key'")
        return (if (quantity == 1L) forms["one"] else null) ?: forms["other"] ?: error("plurals '$key' has no 'other'")
    }

    companion object {
        private fun unescape(text: String) = text.replace("\\'", "'").replace("\\\"", "\"")

        fun read(path: Path): StringTable {
            val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(path.toFile())
            val nodes = doc.getElementsByTagName("string")
            val map = (0 until nodes.length).associate { i ->
                val node = nodes.item(i)
                node.attributes.getNamedItem("name").nodeValue to unescape(node.textContent)
            }
            val pluralNodes = doc.getElementsByTagName("plurals")
            val plurals = (0 until pluralNodes.length).associate { i ->
                val node = pluralNodes.item(i) as org.w3c.dom.Element
                val items = node.getElementsByTagName("item")
                node.getAttribute("name") to (0 until items.length).associate { j ->
                    val item = items.item(j) as org.w3c.dom.Element
                    item.getAttribute("quantity") to unescape(item.textContent)
                }
            }
            return StringTable(map, plurals)
        }
    }
}

/** Times in UTC, so that the tests do not depend on the machine's zone. */
val utc = TimeFormat(ZoneOffset.UTC)

/** Secrets in memory, as the app's Keystore-backed store holds them. */
class InMemorySecrets : SecretStore {
    private val secrets = ConcurrentHashMap<String, ByteArray>()
    override fun get(name: String): ByteArray? = secrets[name]
    override fun set(name: String, secret: ByteArray) { secrets[name] = secret.copyOf() }
    override fun delete(name: String) { secrets.remove(name) }
    override fun describe(): String = "view-model test memory"
}

/** A wallet host in a fresh folder for [issuerUrl]. */
fun freshHost(issuerUrl: String, secrets: SecretStore = InMemorySecrets(), home: Path = Files.createTempDirectory("doorpass-ui")) =
    WalletHost(home.toString(), Shell.anchor, secrets, issuerUrl)

private val client: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

/** The code a dev issuer sent to [subject] (its `/dev/otp` route). */
fun sentCode(issuerUrl: String, subject: String): String {
    val answer = client.send(
        HttpRequest.newBuilder(URI.create("$issuerUrl/dev/otp/$subject")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString(),
    ).body()
    return Regex("\"code\"\\s*:\\s*\"(\\d+)\"").find(answer)?.groupValues?.get(1) ?: error("no code for $subject")
}

/** Enrols [subject] through the enrolment view model, as a person would. */
suspend fun enrolThroughScreens(host: WalletHost, clock: DeviceClock, issuerUrl: String, subject: String): EnrolStep.Done {
    val enrol = EnrolViewModel(host, clock, utc)
    enrol.submitSubject(subject)
    check(enrol.step.value is EnrolStep.EnterCode) { "after the subject: ${enrol.step.value}" }
    enrol.submitCode(sentCode(issuerUrl, subject))
    return enrol.step.value as? EnrolStep.Done ?: error("after the code: ${enrol.step.value}")
}

/** A door pinned to the test anchor, its trust list fetched from [issuerUrl]. */
suspend fun doorScreen(issuerUrl: String, clock: DeviceClock): VerifyViewModel {
    val door = DoorVerifier.open(
        Files.createTempDirectory("doorpass-door").toString(),
        Shell.anchor,
        DoorConfig(issuerUrl = issuerUrl, allowStaticCodes = false, clockToleranceSeconds = 0u),
    )
    val screen = VerifyViewModel(door, clock, utc)
    check(screen.refreshTrustList() == null) { "the door could not fetch the trust list" }
    return screen
}

/** The deadline the core should give the wallet's one pass (docs/renewal-timing.md): 12 h after
 * its renew-after, at the latest 36 h before it expires, never before the run; on the device's
 * clock (the pass's times are the issuer's; the test issuer has no busy hours). */
fun expectedDeadline(host: WalletHost, clock: ShiftedClock, runAt: ULong): ULong {
    val pass = host.wallet.passes(clock.now()).single()
    val offset = host.wallet.clockStatus().offsetSeconds ?: 0L
    val renewAfter = pass.renewAfter.toLong() - offset
    val expiresAt = pass.expiresAt.toLong() - offset
    return maxOf(runAt.toLong(), minOf(renewAfter + 12 * 3600, expiresAt - 36 * 3600)).toULong()
}
