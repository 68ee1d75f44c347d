// The door settings against the real core: a change applies to the next code at once, is handed to
// the app to keep, and every switch has a Korean and an English label and explanation.
package org.doorpass.passui

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue
import org.doorpass.core.Anchor
import org.doorpass.core.DoorVerifier
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class DoorSettingsTest {
    /** The shared vector [name]: its QR text and the time it is checked at. */
    private fun vector(name: String): Pair<String, ULong> {
        val cases = Files.readString(Shell.vectors.resolve("cases.json"))
        val case = Regex("\\{[^{}]*\"name\"\\s*:\\s*\"$name\"[^{}]*\\}").find(cases)!!.value
        val qr = Regex("\"qr_text\"\\s*:\\s*\"([^\"]+)\"").find(case)!!.groupValues[1]
        val at = Regex("\"at\"\\s*:\\s*([0-9]+)").find(case)!!.groupValues[1].toULong()
        return qr to at
    }

    @Test
    fun aDoorSettingAppliesToTheNextCodeAtOnceAndIsKept() = runBlocking {
        val (plain, at) = vector("valid_rotating")
        val door = DoorVerifier.open(
            Files.createTempDirectory("doorpass-door").toString(),
            Anchor.Pem(Files.readString(Shell.vectors.resolve("anchor.pub.pem"))),
            DoorSettings().config(null),
        )
        door.updateTrustList(Files.readAllBytes(Shell.vectors.resolve("trust-list.cose")), at)
        val clock = DeviceClock { at }
        val screen = VerifyViewModel(door, clock, utc)
        val kept = mutableListOf<DoorSettings>()
        val settings = DoorSettingsViewModel(door, DoorSettings(), issuerUrl = null, save = { kept += it })
        screen.verify(plain)
        assertTrue(screen.state.value.result is DoorResult.Valid, "${screen.state.value.result}")

        settings.set(DoorSetting.REFUSE_UNREVOCABLE, true)
        screen.verify(plain)
        assertEquals(DoorResult.Refused(UiText("refusal_not_revocable")), screen.state.value.result)
        assertEquals(listOf(DoorSettings(refuseUnrevocable = true)), kept)
        assertEquals(listOf(false, true, false, false), settings.rows().map { it.on })
        // Kiosk mode is the app's: kept, and no change to the verdicts.
        settings.set(DoorSetting.KIOSK_MODE, true)
        assertEquals(listOf(false, true, false, true), settings.rows().map { it.on })
        screen.verify(plain)
        assertEquals(DoorResult.Refused(UiText("refusal_not_revocable")), screen.state.value.result)
        settings.set(DoorSetting.KIOSK_MODE, false)

        settings.set(DoorSetting.REFUSE_UNREVOCABLE, false)
        screen.verify(plain)
        val valid = assertIs<DoorResult.Valid>(screen.state.value.result)
        assertEquals(UiText("key_assurance_unattested"), valid.key)
        // A door that requires a hardware-bound key refuses this pass (its key is not attested).
        settings.set(DoorSetting.REQUIRE_HARDWARE_KEY, true)
        screen.verify(plain)
        assertEquals(DoorResult.Refused(UiText("refusal_key_not_hardware_bound")), screen.state.value.result)
        settings.set(DoorSetting.REQUIRE_HARDWARE_KEY, false)
        // Settings given back at the next start are applied when the view model is made.
        DoorSettingsViewModel(door, DoorSettings(refuseUnrevocable = true), issuerUrl = null)
        screen.verify(plain)
        assertEquals(DoorResult.Refused(UiText("refusal_not_revocable")), screen.state.value.result)
    }

    @Test
    fun everyDoorSettingHasAKoreanAndAnEnglishLabelAndExplanation() {
        val texts = rowsOf(DoorSettings()).flatMap { listOf(it.label, it.explanation) } +
            listOf(UiText("door_settings_title"), UiText("door_settings_done"), UiText("refusal_not_revocable")) +
            listOf(UiText("refusal_key_not_hardware_bound"), UiText("key_assurance_unattested"))
        for (text in texts) {
            val en = Shell.english.get(text)
            val ko = Shell.korean.get(text)
            assertTrue(en.isNotBlank() && ko.isNotBlank(), text.key)
            assertNotEquals(en, ko, text.key)
        }
    }
}
