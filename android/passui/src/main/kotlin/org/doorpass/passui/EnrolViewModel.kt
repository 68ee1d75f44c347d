// Enrolment and re-authentication, one short flow: the subject (skipped when re-authenticating a
// pass), then the code. Each core error becomes one clear message with its next step; the pass in
// hand is never touched by anything that goes wrong here: every error, the core's or any other, ends
// on a screen with its message, and a cancelled call (the screen left) goes back to the step it left,
// never stays on "sending" or "verifying".
package org.doorpass.passui

import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import org.doorpass.core.DoorpassException
import org.doorpass.core.PendingEnrolment
import org.doorpass.core.WalletState

/** Where the enrolment flow is. */
sealed interface EnrolStep {
    /** Asking for the subject (phone number or id). */
    data class EnterSubject(val error: ErrorView? = null) : EnrolStep

    /** Waiting for the issuer to send the code. */
    data class Sending(val subject: String) : EnrolStep

    /** Asking for the code that was sent. */
    data class EnterCode(
        val subject: String,
        val codeLength: Int,
        /** When the code stops working (device seconds). */
        val expiresAt: ULong,
        /** Renewing a pass in hand rather than adding one. */
        val reauthentication: Boolean,
        val error: ErrorView? = null,
    ) : EnrolStep

    /** Trading the code for a pass. */
    data class Verifying(val subject: String) : EnrolStep

    /** A pass is stored (new or renewed). */
    data class Done(val passId: String, val holderName: String) : EnrolStep
}

/** The enrolment screen's logic. */
class EnrolViewModel(
    private val host: WalletHost,
    private val clock: DeviceClock,
    private val format: TimeFormat = TimeFormat(),
    /** Where blocking core calls (file reads, fsync, locks) run: never the UI thread. */
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val mutable = MutableStateFlow<EnrolStep>(resumed())

    /** The current step. */
    val step: StateFlow<EnrolStep> = mutable.asStateFlow()

    /** The pass being re-authenticated, when that is what this flow does. */
    private var reauthPassId: String? = null

    /** A code already sent (the app was closed while waiting) continues where it was. */
    private fun resumed(): EnrolStep = try {
        when (val s = host.wallet.state()) {
            is WalletState.AwaitingCode -> codeStep(s.pending)
            else -> EnrolStep.EnterSubject()
        }
    } catch (e: Throwable) {
        EnrolStep.EnterSubject(errorViewOf(e, clock.now(), format))
    }

    private fun codeStep(p: PendingEnrolment, error: ErrorView? = null) =
        EnrolStep.EnterCode(p.subject, p.codeLength.toInt(), p.expiresAt, p.reauthentication, error)

    /** Asks the issuer to send a code to [subject]. */
    suspend fun submitSubject(subject: String) {
        val trimmed = subject.trim()
        if (trimmed.isEmpty()) {
            mutable.update { EnrolStep.EnterSubject(ErrorView(UiText("error_subject_empty"))) }
            return
        }
        reauthPassId = null
        send(trimmed) { host.wallet.startEnrolment(trimmed, clock.now()) }
    }

    /** Starts re-authenticating the pass [passId] (its subject is known): a code is sent at once. */
    suspend fun reauthenticate(passId: String) {
        reauthPassId = passId
        val subject = try {
            host.wallet.passes(clock.now()).firstOrNull { it.id == passId }?.subject ?: ""
        } catch (e: Throwable) {
            val error = errorViewOf(e, clock.now(), format)
            mutable.update { failedStart(it, error) }
            return
        }
        send(subject) { host.wallet.reauthenticate(passId, clock.now()) }
    }

    /** Sends a new code for the same subject (after an expired code or too many tries). */
    suspend fun requestNewCode() {
        val current = mutable.value
        val subject = (current as? EnrolStep.EnterCode)?.subject ?: return
        val passId = reauthPassId
        if (passId != null) reauthenticate(passId) else submitSubject(subject)
    }

    private suspend fun send(subject: String, start: suspend () -> PendingEnrolment) {
        val before = mutable.value
        if (host.simulateOffline) {
            mutable.update { failedStart(before, errorView(DoorpassException.Offline("simulated"), clock.now(), format)) }
            return
        }
        val sending = EnrolStep.Sending(subject)
        mutable.update { sending }
        val next = try {
            codeStep(start())
        } catch (e: CancellationException) {
            // The screen was left: back to where the person was, then let the cancellation go on.
            mutable.update { if (it === sending) before else it }
            throw e
        } catch (e: Throwable) {
            failedStart(before, errorViewOf(e, clock.now(), format))
        }
        mutable.update { next }
    }

    /** After a failed start, stay on the code screen if there was one, else on the subject. */
    private fun failedStart(before: EnrolStep, error: ErrorView): EnrolStep =
        if (before is EnrolStep.EnterCode) before.copy(error = error) else EnrolStep.EnterSubject(error)

    /** Trades [code] for a pass. */
    suspend fun submitCode(code: String) {
        val asking = mutable.value as? EnrolStep.EnterCode ?: return
        val digits = code.filter { it.isDigit() }
        if (digits.length != asking.codeLength) {
            mutable.update { asking.copy(error = ErrorView(UiText("error_code_length", asking.codeLength.toString()), ErrorAction.RETYPE_CODE)) }
            return
        }
        if (host.simulateOffline) {
            mutable.update { asking.copy(error = errorView(DoorpassException.Offline("simulated"), clock.now(), format)) }
            return
        }
        val verifying = EnrolStep.Verifying(asking.subject)
        mutable.update { verifying }
        val next = try {
            val pass = host.wallet.completeEnrolment(digits, clock.now())
            reauthPassId = null
            EnrolStep.Done(pass.id, pass.holderName)
        } catch (e: CancellationException) {
            // The screen was left: the code screen again (the code may be typed again).
            mutable.update { if (it === verifying) asking else it }
            throw e
        } catch (e: Throwable) {
            asking.copy(error = errorViewOf(e, clock.now(), format))
        }
        mutable.update { next }
    }

    /** Gives up the enrolment under way (a file write: on [io]); the passes in hand stay. */
    suspend fun cancel() {
        try {
            withContext(io) { host.wallet.cancelEnrolment() }
        } catch (e: Throwable) {
            // Nothing was under way, or the wallet cannot say: the subject screen is right either way.
            rethrowIfCancelled(e)
        }
        reauthPassId = null
        mutable.update { EnrolStep.EnterSubject() }
    }
}
