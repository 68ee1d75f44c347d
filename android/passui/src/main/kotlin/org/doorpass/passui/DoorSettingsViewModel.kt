// Door settings, for door staff: whether to refuse a pass whose revocation could not be checked,
// whether to refuse a pass that can never be revoked (it names no status list), and whether to refuse
// a pass whose holder key was not attested to be in a phone's secure hardware; and the app's own
// self-service kiosk mode (the screen pinned to the scanner, facing the guests). The core applies a
// change from the next code on; the app keeps the settings and gives them back at the next start.
package org.doorpass.passui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.doorpass.core.DoorConfig
import org.doorpass.core.DoorVerifier

/** What door staff choose; the rest of the door's configuration is the app's. */
data class DoorSettings(
    /** Refuse a revocable pass whose status list is missing or too old. */
    val requireRevocationCheck: Boolean = false,
    /** Refuse a pass that names no status list, which can never be revoked. */
    val refuseUnrevocable: Boolean = false,
    /** Refuse a pass whose holder key the issuer did not find attested in secure hardware. */
    val requireHardwareKey: Boolean = false,
    /** Self-service: the screen is pinned to the scanner (Android lock task), facing the guests. */
    val kioskMode: Boolean = false,
) {
    /** The core's door configuration with these settings, for a door fetching from [issuerUrl]. */
    fun config(issuerUrl: String?): DoorConfig = DoorConfig(
        issuerUrl = issuerUrl,
        allowStaticCodes = false,
        clockToleranceSeconds = 0u,
        requireRevocationCheck = requireRevocationCheck,
        refuseUnrevocable = refuseUnrevocable,
        requireHardwareKey = requireHardwareKey,
    )
}

/** The switches of the door settings screen. */
enum class DoorSetting { REQUIRE_REVOCATION_CHECK, REFUSE_UNREVOCABLE, REQUIRE_HARDWARE_KEY, KIOSK_MODE }

/** One switch as the screen draws it: its label, the sentence under it, and whether it is on. */
data class DoorSettingRow(val setting: DoorSetting, val label: UiText, val explanation: UiText, val on: Boolean)

/** The door settings screen's logic, over the open [door]. */
class DoorSettingsViewModel(
    private val door: DoorVerifier,
    initial: DoorSettings,
    private val issuerUrl: String?,
    /** Keeps the settings for the next start. */
    private val save: (DoorSettings) -> Unit = {},
) {
    private val mutable = MutableStateFlow(initial)

    /** The settings in force. */
    val settings: StateFlow<DoorSettings> = mutable.asStateFlow()

    private val mutableError = MutableStateFlow<ErrorView?>(null)

    /** Why the last change could not be applied to the door (it is then not in force), if so. */
    val error: StateFlow<ErrorView?> = mutableError.asStateFlow()

    init {
        apply(initial)
    }

    /** Gives the door [settings]; any error becomes [error] instead of a crash. */
    private fun apply(settings: DoorSettings): Boolean = try {
        door.setConfig(settings.config(issuerUrl))
        mutableError.update { null }
        true
    } catch (e: Throwable) {
        val message = errorViewOf(e, 0uL, TimeFormat())
        mutableError.update { message }
        false
    }

    /** The switches, in the order the screen shows them. */
    fun rows(): List<DoorSettingRow> = rowsOf(mutable.value)

    /** Turns [setting] on or off; the door applies it from the next code on. */
    fun set(setting: DoorSetting, on: Boolean) {
        val current = mutable.value
        val changed = when (setting) {
            DoorSetting.REQUIRE_REVOCATION_CHECK -> current.copy(requireRevocationCheck = on)
            DoorSetting.REFUSE_UNREVOCABLE -> current.copy(refuseUnrevocable = on)
            DoorSetting.REQUIRE_HARDWARE_KEY -> current.copy(requireHardwareKey = on)
            DoorSetting.KIOSK_MODE -> current.copy(kioskMode = on)
        }
        if (!apply(changed)) return
        mutable.update { changed }
        save(changed)
    }
}

/** The switches for [settings], with their string keys. */
fun rowsOf(settings: DoorSettings): List<DoorSettingRow> = listOf(
    DoorSettingRow(
        DoorSetting.REQUIRE_REVOCATION_CHECK,
        UiText("door_setting_require_revocation_check"),
        UiText("door_setting_require_revocation_check_help"),
        settings.requireRevocationCheck,
    ),
    DoorSettingRow(
        DoorSetting.REFUSE_UNREVOCABLE,
        UiText("door_setting_refuse_unrevocable"),
        UiText("door_setting_refuse_unrevocable_help"),
        settings.refuseUnrevocable,
    ),
    DoorSettingRow(
        DoorSetting.REQUIRE_HARDWARE_KEY,
        UiText("door_setting_require_hardware_key"),
        UiText("door_setting_require_hardware_key_help"),
        settings.requireHardwareKey,
    ),
    DoorSettingRow(DoorSetting.KIOSK_MODE, UiText("door_kiosk_mode"), UiText("door_kiosk_mode_help"), settings.kioskMode),
)
