// The door staff's screen, built for a queue: the camera keeps scanning, each verdict fills the screen
// (green, amber "check the ID", red) with its sound and haptic, and the scanner takes the next code
// within a second with no tap. A valid pass shows only initials and birthday to the queue; the full
// name and birth date appear on a tap, to compare with an ID card. Checking needs no network; each
// check goes into the door's check log (the core's), summarised for today on this screen.
package org.doorpass.passui

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.withContext
import org.doorpass.core.DoorSignal
import org.doorpass.core.DoorVerifier
import org.doorpass.core.DoorpassException
import org.doorpass.core.KeyAssurance
import org.doorpass.core.MinimalDisplay
import org.doorpass.core.RefusalReason
import org.doorpass.core.RevocationStatus
import org.doorpass.core.VerificationResult

/** The result area of the door screen. */
sealed interface DoorResult {
    /** Nothing scanned yet, or the last verdict has left the screen. */
    data object Idle : DoorResult

    /**
     * Green (amber when [signal] is [DoorSignal.CHECK_ID]): by default only [initials] and
     * [birthday] show; on a tap [holderName] and [birthDate], to compare with an ID card.
     * [revocation] says when the pass's revocation could not be checked; [key] where the holder key
     * lives ("Key: StrongBox, attested" / "Key: not attested").
     */
    data class Valid(
        val holderName: String,
        val birthDate: String,
        val kind: UiText,
        val validity: UiText,
        val revocation: UiText? = null,
        val key: UiText = UiText("key_assurance_unattested"),
        /** "J. D.": what the queue may see. */
        val initials: String = "",
        /** "Birthday (month/day): 3/14", or that the pass has the year only. */
        val birthday: UiText = UiText("door_birthday_unknown"),
        /** Valid, or check the ID closely (a printed code, revocation not checked). */
        val signal: DoorSignal = DoorSignal.VALID,
    ) : DoorResult

    /** Red, with why. */
    data class Refused(val reason: UiText) : DoorResult

    /** The check could not be made (no list yet, clock wrong, anything else). */
    data class Failed(val error: ErrorView) : DoorResult
}

/** The sound, haptic and colour of [this] result; `null` when nothing is shown. */
val DoorResult.signal: DoorSignal?
    get() = when (this) {
        DoorResult.Idle -> null
        is DoorResult.Valid -> signal
        is DoorResult.Refused, is DoorResult.Failed -> DoorSignal.REFUSED
    }

/** What a screen reader announces for [this] result, with its haptic; `null` for none. */
val DoorResult.announcement: UiText?
    get() = when (this) {
        DoorResult.Idle -> null
        is DoorResult.Valid -> UiText(if (signal == DoorSignal.CHECK_ID) "door_a11y_check_id" else "door_a11y_valid")
        is DoorResult.Refused -> UiText("door_a11y_refused", reason)
        is DoorResult.Failed -> UiText("door_a11y_refused", error.text)
    }

/** What the door screen shows. */
data class DoorScreenState(
    val result: DoorResult = DoorResult.Idle,
    /** "Trust list 3 h old", or `null` before the first list. */
    val trustListAge: UiText? = null,
    /** The list is past its planned update: get a new one when the network allows. */
    val trustListStale: Boolean = false,
    /** The scanner takes a new code (false for a moment after each verdict). */
    val scannerReady: Boolean = true,
    /** Counts verdicts: the screen plays a verdict's sound and haptic once per number. */
    val verdictNumber: Long = 0,
    /** The full name and birth date are shown (after a tap), not only the initials. */
    val showFullIdentity: Boolean = false,
    /** "Today: 214 checked, 3 refused; lists 2 h old", or `null` before the log can be read. */
    val today: UiText? = null,
    /** Why the last export of the check log failed, if it did. */
    val exportError: ErrorView? = null,
)

/** Milliseconds on a clock that never jumps (the scanner's pacing); tests pass their own. */
fun interface MonotonicMillis {
    /** Now, in milliseconds since an arbitrary start. */
    fun now(): Long
}

/** How the door paces a queue. */
data class ScanPacing(
    /** After a verdict, the scanner takes the next code after this long (under a second). */
    val readyAfterMillis: Long = 800,
    /** A verdict leaves the screen after this long, so it is never read as the next guest's. */
    val clearAfterMillis: Long = 8_000,
    /** The code just checked, still in front of the camera, is not checked again for this long after it was last seen. */
    val repeatIgnoreMillis: Long = 3_000,
)

/** The door screen's logic. */
class VerifyViewModel(
    private val door: DoorVerifier,
    private val clock: DeviceClock,
    private val format: TimeFormat = TimeFormat(),
    /** Where the core's blocking calls run (the check log is written on disk): never the UI thread. */
    private val io: CoroutineDispatcher = Dispatchers.IO,
    private val millis: MonotonicMillis = MonotonicMillis { System.nanoTime() / 1_000_000 },
    private val pacing: ScanPacing = ScanPacing(),
) {
    private val mutable = MutableStateFlow(DoorScreenState())

    /** The current screen state. */
    val state: StateFlow<DoorScreenState> = mutable.asStateFlow()

    /** One camera frame's code at a time: frames that arrive during a check are dropped. */
    private val scanning = Mutex()

    /** When the verdict on screen was given (monotonic milliseconds). */
    @Volatile
    private var verdictAt = 0L

    /** The code last checked, and when the camera last saw it. */
    @Volatile
    private var lastCode: String? = null

    @Volatile
    private var lastSeenAt = 0L

    init {
        updateListStatus()
    }

    /**
     * A code the camera read: checked when the scanner is ready, unless it is the code just checked,
     * still held in front of the camera. Returns whether it was checked.
     */
    suspend fun onScanned(qrText: String): Boolean {
        if (!scanning.tryLock()) return false
        try {
            val now = millis.now()
            if (qrText == lastCode && now - lastSeenAt < pacing.repeatIgnoreMillis) {
                lastSeenAt = now
                return false
            }
            if (!scannerReady(now)) return false
            verify(qrText)
            return true
        } finally {
            scanning.unlock()
        }
    }

    /** Checks a scanned code, offline (on [io]), whatever the pacing; the verdict replaces the last. */
    suspend fun verify(qrText: String) {
        val now = clock.now()
        val result = try {
            verdict(withContext(io) { door.verify(qrText, now) })
        } catch (e: Throwable) {
            DoorResult.Failed(errorViewOf(e, now, format))
        }
        val at = millis.now()
        verdictAt = at
        lastCode = qrText
        lastSeenAt = at
        mutable.update {
            it.copy(result = result, scannerReady = false, verdictNumber = it.verdictNumber + 1, showFullIdentity = false)
        }
        updateListStatus()
        refreshToday()
    }

    /**
     * Moves the pacing on (the screen calls it a few times a second): the scanner becomes ready
     * [ScanPacing.readyAfterMillis] after a verdict, and the verdict leaves the screen after
     * [ScanPacing.clearAfterMillis].
     */
    fun tick() {
        val now = millis.now()
        mutable.update {
            when {
                it.result == DoorResult.Idle -> it.copy(scannerReady = true)
                now - verdictAt >= pacing.clearAfterMillis -> it.copy(result = DoorResult.Idle, scannerReady = true, showFullIdentity = false)
                now - verdictAt >= pacing.readyAfterMillis -> it.copy(scannerReady = true)
                else -> it
            }
        }
    }

    private fun scannerReady(now: Long): Boolean =
        mutable.value.result == DoorResult.Idle || now - verdictAt >= pacing.readyAfterMillis

    /** Shows (or hides again) the full name and birth date of the valid pass on screen. */
    fun toggleFullIdentity() {
        mutable.update { it.copy(showFullIdentity = it.result is DoorResult.Valid && !it.showFullIdentity) }
    }

    /** Clears the result for the next guest. */
    fun clear() {
        mutable.update { it.copy(result = DoorResult.Idle, scannerReady = true, showFullIdentity = false) }
    }

    /**
     * Fetches a newer trust list when the network allows, then (best effort) the status lists that
     * are due; a failure keeps the cached ones. Any error is returned as its message.
     */
    suspend fun refreshTrustList(): ErrorView? {
        val error = try {
            door.refreshTrustList(clock.now())
            try {
                door.refreshStatusLists(clock.now())
            } catch (e: Throwable) {
                rethrowIfCancelled(e) // The lists held stay; verdicts say how old they are.
            }
            null
        } catch (e: Throwable) {
            errorViewOf(e, clock.now(), format)
        }
        updateListStatus()
        refreshToday()
        return error
    }

    /** Re-reads today's summary from the check log (since local midnight), on [io]. */
    suspend fun refreshToday() {
        val now = clock.now()
        val today = try {
            summaryText(withContext(io) { door.checkLogSummary(format.startOfDay(now), now) })
        } catch (e: Throwable) {
            rethrowIfCancelled(e)
            null
        }
        mutable.update { it.copy(today = today) }
    }

    /** The whole check log as CSV, to share with an inspector; `null` (and [DoorScreenState.exportError]) when it cannot be read. */
    suspend fun exportCheckLog(): CheckLogExport? {
        val now = clock.now()
        return try {
            val csv = withContext(io) { door.checkLogCsv(now) }
            mutable.update { it.copy(exportError = null) }
            CheckLogExport(checkLogFileName(now, format), csv)
        } catch (e: Throwable) {
            val error = errorViewOf(e, now, format)
            mutable.update { it.copy(exportError = error) }
            null
        }
    }

    private fun verdict(r: VerificationResult): DoorResult = when (r) {
        is VerificationResult.Valid -> DoorResult.Valid(
            holderName = r.holderName,
            birthDate = r.birthDate,
            kind = UiText(kindKey(r.kind)),
            validity = UiText("pass_valid_until", format.date(r.expiresAt)),
            revocation = revocationNote(r.revocation),
            key = UiText(keyAssuranceKey(r.keyAssurance)),
            initials = r.minimal.initials,
            birthday = birthdayText(r.minimal),
            signal = r.signal,
        )
        is VerificationResult.Refused -> DoorResult.Refused(UiText(refusalKey(r.reason)))
    }

    private fun updateListStatus() {
        val status = try {
            door.trustListStatus(clock.now())
        } catch (e: Throwable) {
            null
        }
        mutable.update {
            it.copy(
                trustListAge = status?.let { s -> UiText("trust_list_age", ageText(s.ageSeconds)) },
                trustListStale = status?.updateDue ?: false,
            )
        }
    }
}

/** "Birthday (month/day): 3/14", or that the pass carries the birth year only. */
fun birthdayText(minimal: MinimalDisplay): UiText {
    val month = minimal.birthMonth
    val day = minimal.birthDay
    return if (month == null || day == null) UiText("door_birthday_unknown") else UiText("door_birthday", month.toString(), day.toString())
}

/** What a valid verdict says about revocation: nothing when checked or not revocable. */
fun revocationNote(status: RevocationStatus): UiText? = when (status) {
    is RevocationStatus.NotChecked ->
        status.listAgeSeconds?.let { UiText("revocation_not_checked_age", ageText(it)) }
            ?: UiText("revocation_not_checked_no_list")
    else -> null
}

/** The string key for each refusal, exhaustive over the core's reasons. */
fun refusalKey(reason: RefusalReason): String = when (reason) {
    RefusalReason.MALFORMED -> "refusal_malformed"
    RefusalReason.UNKNOWN_ISSUER -> "refusal_unknown_issuer"
    RefusalReason.BAD_SIGNATURE -> "refusal_bad_signature"
    RefusalReason.ISSUER_KEY_NOT_VALID_AT_ISSUANCE -> "refusal_issuer_key_not_valid_at_issuance"
    RefusalReason.LIFETIME_TOO_LONG -> "refusal_lifetime_too_long"
    RefusalReason.NOT_YET_VALID -> "refusal_not_yet_valid"
    RefusalReason.EXPIRED -> "refusal_expired"
    RefusalReason.STALE_CODE -> "refusal_stale_code"
    RefusalReason.FUTURE_CODE -> "refusal_future_code"
    RefusalReason.NOT_FROM_HOLDERS_PHONE -> "refusal_not_from_holders_phone"
    RefusalReason.STATIC_NOT_ACCEPTED -> "refusal_static_not_accepted"
    RefusalReason.REVOKED -> "refusal_revoked"
    RefusalReason.REVOCATION_NOT_CHECKED -> "refusal_revocation_not_checked"
    RefusalReason.NOT_REVOCABLE -> "refusal_not_revocable"
    RefusalReason.KEY_NOT_HARDWARE_BOUND -> "refusal_key_not_hardware_bound"
}

/** The string key for where a valid pass's holder key lives, exhaustive over the core's values. */
fun keyAssuranceKey(assurance: KeyAssurance): String = when (assurance) {
    KeyAssurance.UNATTESTED -> "key_assurance_unattested"
    KeyAssurance.ANDROID_TEE -> "key_assurance_android_tee"
    KeyAssurance.ANDROID_STRONG_BOX -> "key_assurance_android_strongbox"
    KeyAssurance.APPLE_APP_ATTEST -> "key_assurance_apple_app_attest"
}
