// Dates, times and durations as the screens show them, in the device's time zone. Words come from
// the string table; only digits are formatted here.
package org.doorpass.passui

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import org.doorpass.core.PassKind

/** Formats Unix seconds in [zone]. */
class TimeFormat(private val zone: ZoneId = ZoneId.systemDefault()) {
    private val date = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(zone)
    private val time = DateTimeFormatter.ofPattern("HH:mm").withZone(zone)

    /** `2026-12-27`. */
    fun date(unixSeconds: ULong): String = date.format(Instant.ofEpochSecond(unixSeconds.toLong()))

    /** `14:05`. */
    fun time(unixSeconds: ULong): String = time.format(Instant.ofEpochSecond(unixSeconds.toLong()))

    /** The local midnight that starts the day of [unixSeconds] (the door's "today"), Unix seconds. */
    fun startOfDay(unixSeconds: ULong): ULong =
        Instant.ofEpochSecond(unixSeconds.toLong()).atZone(zone).toLocalDate().atStartOfDay(zone).toEpochSecond().toULong()
}

/** The string key naming a pass kind. */
fun kindKey(kind: PassKind?): String = when (kind) {
    PassKind.VACCINATION -> "kind_vaccination"
    PassKind.RECOVERY -> "kind_recovery"
    PassKind.MEDICAL_EXEMPTION -> "kind_medical_exemption"
    PassKind.NEGATIVE_TEST -> "kind_negative_test"
    null -> "kind_unknown"
}

/** "3 h", "2 days": an age in the largest whole unit, as a plural and its number. */
fun ageText(seconds: ULong): UiText = when {
    seconds < 3_600uL -> UiText.plural("age_minutes", (seconds / 60uL).toLong())
    seconds < 172_800uL -> UiText.plural("age_hours", (seconds / 3_600uL).toLong())
    else -> UiText.plural("age_days", (seconds / 86_400uL).toLong())
}
