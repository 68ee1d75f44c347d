// The string tables: plurals pick their form by number in both languages, and placeholders are
// filled in one pass, so a holder's name that looks like a placeholder is shown as typed.
package org.doorpass.passui

import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class StringsTest {
    @Test
    fun aNameContainingAPlaceholderIsNeverSubstituted() {
        val name = "A %2\$s B"
        val banner = UiText("banner_reauthentication_required", name, "2027-01-15")
        assertEquals(
            "A %2\$s B: confirm it is you with a new code to keep this pass after 2027-01-15.",
            Shell.english.get(banner),
        )
        assertTrue(Shell.korean.get(banner).contains(name) && !Shell.korean.get(banner).contains("2027-01-15 B"))
        // Also through a nested text, and with a percent sign written as %%.
        assertEquals("x %1\$s y", fill("x %1\$s y", emptyList()))
        assertEquals("100% A %1\$s", fill("100%% %1\$s", listOf("A %1\$s")))
        val label = UiText("a11y_pass_code", "%3\$s", UiText("kind_vaccination"), "2027-01-15")
        assertEquals("QR code of %3\$s's vaccination pass, valid until 2027-01-15. Show it to the door staff.", Shell.english.get(label))
    }

    @Test
    fun pluralsPickTheirFormByNumberInBothLanguages() {
        assertEquals("1 day", Shell.english.get(UiText.plural("age_days", 1)))
        assertEquals("3 days", Shell.english.get(ageText(3uL * 86_400uL)))
        assertEquals("5 h", Shell.english.get(ageText(5uL * 3_600uL)))
        assertEquals("3일", Shell.korean.get(ageText(3uL * 86_400uL)))
        assertEquals("That code is not right. 1 try left.", Shell.english.get(UiText.plural("error_invalid_code", 1)))
        assertEquals("That code is not right. 2 tries left.", Shell.english.get(UiText.plural("error_invalid_code", 2)))
        assertEquals("214 checked", Shell.english.get(UiText.plural("door_checked", 214)))
        assertEquals("1 refused", Shell.english.get(UiText.plural("door_refused_count", 1)))
        assertEquals("214명 확인", Shell.korean.get(UiText.plural("door_checked", 214)))
        // The two tables have the same strings and the same plurals.
        assertEquals(Shell.english.entries.keys, Shell.korean.entries.keys)
        assertEquals(Shell.english.plurals.keys, Shell.korean.plurals.keys)
        for ((key, forms) in Shell.english.plurals) {
            assertTrue("other" in forms && "other" in Shell.korean.plurals.getValue(key), key)
        }
    }
}
