// The tabs' view models kept across configuration changes (androidx ViewModel), with the scope their
// issuer calls run in. They only hold and forward: the logic is in org.doorpass.passui.
package org.doorpass.app.ui

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.launch
import org.doorpass.core.DoorVerifier
import org.doorpass.passui.CheckLogExport
import org.doorpass.passui.DeviceClock
import org.doorpass.passui.DoorSettings
import org.doorpass.passui.DoorSettingsViewModel
import org.doorpass.passui.EnrolStep
import org.doorpass.passui.EnrolViewModel
import org.doorpass.passui.PassViewModel
import org.doorpass.passui.RenewalQueue
import org.doorpass.passui.VerifyViewModel
import org.doorpass.passui.WalletHost
import org.doorpass.passui.renewalQueue

/** The Pass tab: the passes, and the enrolment / re-authentication flow. */
class PassTabModel(
    private val host: WalletHost,
    private val clock: DeviceClock,
    /** Hands the next background renewal's works (device seconds) to WorkManager. */
    private val scheduleRenewal: (queue: RenewalQueue) -> Unit,
) : ViewModel() {
    /** The pass screen's logic. */
    val pass = PassViewModel(host, clock)

    /** The enrolment screen's logic. */
    val enrol = EnrolViewModel(host, clock)

    init {
        pass.refresh()
    }

    /** Refreshes the trust list and renews what is due, quietly; then plans the background run. */
    fun renewQuietly() {
        viewModelScope.launch { scheduleRenewal(pass.renewQuietly().queue()) }
    }

    /** Sends a code to [subject]. */
    fun submitSubject(subject: String) {
        viewModelScope.launch { enrol.submitSubject(subject) }
    }

    /** Trades [code] for a pass; once it is stored, shows it and plans its renewal. */
    fun submitCode(code: String) {
        viewModelScope.launch {
            enrol.submitCode(code)
            if (enrol.step.value is EnrolStep.Done) {
                pass.refresh()
                // A wallet that cannot say (closed meanwhile): the next quiet renewal plans it.
                runCatching { host.wallet.renewalPlan(clock.now()) }
                    .onSuccess { scheduleRenewal(renewalQueue(it?.runAt, it?.relaxAt)) }
            }
        }
    }

    /** Sends a new code for the same subject or pass. */
    fun requestNewCode() {
        viewModelScope.launch { enrol.requestNewCode() }
    }

    /** Starts the code flow that keeps the pass [passId]. */
    fun reauthenticate(passId: String) {
        viewModelScope.launch { enrol.reauthenticate(passId) }
    }

    /** Gives up the enrolment under way (off the UI thread), or starts a new one from the subject. */
    fun restartEnrolment() {
        viewModelScope.launch { enrol.cancel() }
    }
}

/** The Check passes tab. */
class DoorTabModel(
    door: DoorVerifier,
    private val clock: DeviceClock,
    initialSettings: DoorSettings,
    issuerUrl: String?,
    /** Keeps changed settings for the next start. */
    saveSettings: (DoorSettings) -> Unit,
) : ViewModel() {
    /** The door screen's logic. */
    val verify = VerifyViewModel(door, clock)

    /** The door settings' logic. */
    val settings = DoorSettingsViewModel(door, initialSettings, issuerUrl, saveSettings)

    /** Fetches a newer trust list when the network allows; the screen shows its age either way. */
    fun refreshTrustList() {
        viewModelScope.launch { verify.refreshTrustList() }
    }

    /** A code the camera read (checked off the UI thread when the scanner is ready). */
    fun onScanned(text: String) {
        viewModelScope.launch { verify.onScanned(text) }
    }

    /** Today's summary, read again. */
    fun refreshToday() {
        viewModelScope.launch { verify.refreshToday() }
    }

    /** Reads the check log as CSV and hands it to [share] (on the main thread). */
    fun exportCheckLog(share: (CheckLogExport) -> Unit) {
        viewModelScope.launch { verify.exportCheckLog()?.let(share) }
    }
}
