// The door staff's screen: a large green or red result with the reason, the holder's name and birth
// date to compare with an ID card, and the trust list's age. Checking needs no network.
package org.doorpass.passui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.doorpass.core.DoorVerifier
import org.doorpass.core.DoorpassException
import org.doorpass.core.KeyAssurance
import org.doorpass.core.RefusalReason
import org.doorpass.core.RevocationStatus
import org.doorpass.core.VerificationResult

/** The result area of the door screen. */
sealed interface DoorResult {
    /** Nothing scanned yet. */
    data object Idle : DoorResult

    /**
     * Green: compare [holderName] and [birthDate] with an ID card. [revocation] says when the
     * pass's revocation could not be checked ("revocation not checked — list 3 d old"); [key] where
     * the holder key lives ("Key: StrongBox, attested" / "Key: not attested").
     */
    data class Valid(
        val holderName: String,
        val birthDate: String,
        val kind: UiText,
        val validity: UiText,
        val revocation: UiText? = null,
        val key: UiText = UiText("key_assurance_unattested"),
    ) : DoorResult

    /** Red, with why. */
    data class Refused(val reason: UiText) : DoorResult

    /** The check could not be made (no list yet, clock wrong). */
    data class Failed(val error: ErrorView) : DoorResult
}

/** What the door screen shows. */
data class DoorScreenState(
    val result: DoorResult = DoorResult.Idle,
    /** "Trust list 3 h old", or `null` before the first list. */
    val trustListAge: UiText? = null,
    /** The list is past its planned update: get a new one when the network allows. */
    val trustListStale: Boolean = false,
)

/** The door screen's logic. */
class VerifyViewModel(
    private val door: DoorVerifier,
    private val clock: DeviceClock,
    private val format: TimeFormat = TimeFormat(),
) {
    private val mutable = MutableStateFlow(DoorScreenState())

    /** The current screen state. */
    val state: StateFlow<DoorScreenState> = mutable.asStateFlow()

    init {
        updateListStatus()
    }

    /** Checks a scanned code, offline. */
    fun verify(qrText: String) {
        val now = clock.now()
        val result = try {
            when (val r = door.verify(qrText, now)) {
                is VerificationResult.Valid -> DoorResult.Valid(
                    r.holderName,
                    r.birthDate,
                    UiText(kindKey(r.kind)),
                    UiText("pass_valid_until", format.date(r.expiresAt)),
                    revocationNote(r.revocation),
                    UiText(keyAssuranceKey(r.keyAssurance)),
                )
                is VerificationResult.Refused -> DoorResult.Refused(UiText(refusalKey(r.reason)))
            }
        } catch (e: DoorpassException) {
            DoorResult.Failed(errorView(e, now, format))
        }
        mutable.value = mutable.value.copy(result = result)
        updateListStatus()
    }

    /**
     * Fetches a newer trust list when the network allows, then (best effort) the status lists that
     * are due; a failure keeps the cached ones.
     */
    suspend fun refreshTrustList(): ErrorView? {
        val error = try {
            door.refreshTrustList(clock.now())
            try {
                door.refreshStatusLists(clock.now())
            } catch (e: DoorpassException) {
                // The lists held stay; verdicts say how old they are.
            }
            null
        } catch (e: DoorpassException) {
            errorView(e, clock.now(), format)
        }
        updateListStatus()
        return error
    }

    /** Clears the result for the next guest. */
    fun clear() {
        mutable.value = mutable.value.copy(result = DoorResult.Idle)
    }

    private fun updateListStatus() {
        val status = door.trustListStatus(clock.now())
        mutable.value = mutable.value.copy(
            trustListAge = status?.let { UiText("trust_list_age", ageText(it.ageSeconds)) },
            trustListStale = status?.updateDue ?: false,
        )
    }
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
