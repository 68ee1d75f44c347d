// The view models when things go wrong on a phone: an error that is not the core's (a panic, a call
// on a closed handle) shows a message instead of crashing, a cancelled send or check goes back to a
// step the person can act on, the wallet is opened off the caller's thread with a loading state, a
// replaced wallet is closed, and renewal runs when the trust list cannot be refreshed.
package org.doorpass.passui

import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.doorpass.core.DoorConfig
import org.doorpass.core.DoorVerifier
import org.doorpass.core.DoorpassException
import org.doorpass.core.InternalException
import org.junit.jupiter.api.Test

class SturdyViewModelsTest {
    private val internal = ErrorView(UiText("error_internal"), ErrorAction.RETRY)

    @Test
    fun anErrorThatIsNotTheCoresShowsAnErrorStateInEveryViewModel() = runBlocking {
        // A core panic reaches Kotlin as the bindings' InternalException.
        assertEquals(internal, errorViewOf(InternalException("panicked"), 0uL, utc))
        val clock = ShiftedClock()
        val host = freshHost(Shell.issuer)
        // A call on a destroyed handle throws IllegalStateException from the bindings: a real error
        // that is no DoorpassException, as a panic or JNA's own errors are.
        host.wallet.destroy()

        val enrol = EnrolViewModel(host, clock, utc)
        assertEquals(EnrolStep.EnterSubject(internal), enrol.step.value, "the resumed step")
        enrol.submitSubject("ui-kt-8")
        assertEquals(EnrolStep.EnterSubject(internal), enrol.step.value, "after sending")

        val pass = PassViewModel(host, clock, utc)
        pass.refresh()
        assertEquals(internal, pass.state.value.error)
        val renewal = pass.renewQuietly()
        assertEquals(0, renewal.renewed)

        val panel = QaPanelViewModel(host, clock, LogBuffer())
        panel.forceRenewal()
        assertEquals(UiText("error_internal"), panel.state.value.message)
        val before = clock.now()
        val background = runBackgroundRenewal(host, clock)
        assertEquals(0, background.renewed)
        assertTrue(background.nextRunAt!! >= before + 900uL, "tried again in a quarter of an hour")

        val closedDoor = DoorVerifier.open(
            Files.createTempDirectory("doorpass-door").toString(),
            Shell.anchor,
            DoorConfig(issuerUrl = Shell.issuer, allowStaticCodes = false, clockToleranceSeconds = 0u),
        )
        closedDoor.destroy()
        val door = VerifyViewModel(closedDoor, clock, utc)
        door.verify("DP1:ANYTHING")
        assertEquals(DoorResult.Failed(internal), door.state.value.result)
        assertEquals(internal, door.refreshTrustList())
        val settings = DoorSettingsViewModel(closedDoor, DoorSettings(), issuerUrl = null)
        assertEquals(internal, settings.error.value)
        settings.set(DoorSetting.REFUSE_UNREVOCABLE, true)
        assertEquals(DoorSettings(), settings.settings.value, "a change the door did not take is not shown as in force")
    }

    @Test
    fun aCancelledSendOrCheckGoesBackToTheStepItLeft() = runBlocking {
        // The slow issuer takes 3 s per issuance call: each call below is cancelled while under way.
        val clock = ShiftedClock()
        val host = freshHost(Shell.slowIssuer)
        val enrol = EnrolViewModel(host, clock, utc)
        val sending = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { enrol.submitSubject("demo-lee") }
        withTimeout(2_000) { enrol.step.first { it is EnrolStep.Sending } }
        sending.cancelAndJoin()
        assertEquals(EnrolStep.EnterSubject(), enrol.step.value, "not stuck on sending")

        enrol.submitSubject("demo-lee")
        val asking = assertIs<EnrolStep.EnterCode>(enrol.step.value)
        val checking = launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) { enrol.submitCode("1".repeat(asking.codeLength)) }
        withTimeout(2_000) { enrol.step.first { it is EnrolStep.Verifying } }
        checking.cancelAndJoin()
        assertEquals(asking, enrol.step.value, "not stuck on verifying: the code can be typed again")
    }

    @Test
    fun theWalletOpensOffTheCallersThreadBehindALoadingState() = runBlocking {
        val clock = ShiftedClock()
        val release = CountDownLatch(1)
        var openedOn: Thread? = null
        val loader = Loader(clock, Dispatchers.IO, utc) {
            openedOn = Thread.currentThread()
            check(release.await(10, TimeUnit.SECONDS)) { "never released" }
            freshHost(Shell.issuer)
        }
        assertEquals(Opening.Loading, loader.state.value)
        val loading = launch(Dispatchers.Default) { loader.load() }
        // While the wallet is being opened (held here by the latch), the tab shows the loading state.
        assertEquals(Opening.Loading, loader.state.value)
        release.countDown()
        loading.join()
        val ready = assertIs<Opening.Ready<WalletHost>>(loader.state.value)
        assertEquals(emptyList(), ready.value.wallet.passes(clock.now()))
        assertNotEquals(Thread.currentThread(), assertNotNull(openedOn), "opened on the IO dispatcher")

        // A wallet that cannot be opened (its folder is a file) is a message, not a crash; so is
        // anything else that goes wrong while opening.
        val file = Files.createTempFile("doorpass-not-a-folder", "")
        val broken = Loader(clock, Dispatchers.IO, utc) { freshHost(Shell.issuer, home = file) }
        broken.load()
        assertIs<Opening.Failed>(broken.state.value)
        val panicking = Loader<WalletHost>(clock, Dispatchers.IO, utc) { throw InternalException("panicked") }
        panicking.load()
        assertEquals(Opening.Failed(internal), panicking.state.value)
    }

    @Test
    fun aReplacedWalletIsClosed() = runBlocking {
        val clock = ShiftedClock()
        val host = freshHost(Shell.issuer)
        val first = host.wallet
        host.reopen()
        assertNotEquals(first, host.wallet)
        // The core's close: the old handle refuses further calls (InUse), and nothing else writes.
        assertFailsWith<DoorpassException.InUse>("the replaced wallet is closed") { first.startEnrolment("ui-kt-9", clock.now()) }
        assertEquals(emptyList(), host.wallet.passes(clock.now()), "the new one works")
        val second = host.wallet
        host.switchIssuer(Shell.downIssuer)
        assertFailsWith<DoorpassException.InUse>("closed after a switch of issuer too") { second.refreshTrustList(clock.now()) }
        assertEquals(Shell.downIssuer, host.issuerUrl)
    }

    @Test
    fun renewalRunsWhenTheTrustListCannotBeRefreshedAndABannerSaysSo() = runBlocking {
        TrustListProxy(Shell.issuer).use { proxy ->
            val clock = ShiftedClock()
            val host = freshHost(proxy.url)
            enrolThroughScreens(host, clock, Shell.issuer, "ui-kt-7")
            val before = host.wallet.passes(clock.now()).single()
            proxy.failTrustList = true
            clock.offsetSeconds = (before.renewAfter - clock.now()).toLong() + 5
            val screen = PassViewModel(host, clock, utc)
            val result = screen.renewQuietly()
            assertEquals(1, result.renewed, "renewed although the trust list failed")
            assertFalse(screen.state.value.offline)
            assertEquals(UiText("banner_trust_list_refresh_failed"), screen.state.value.banner)
            for (table in listOf(Shell.english, Shell.korean)) assertTrue(table.get(screen.state.value.banner!!).isNotBlank())

            proxy.failTrustList = false
            screen.renewQuietly()
            assertEquals(null, screen.state.value.banner, "the banner goes once the list is refreshed")
        }
    }
}
