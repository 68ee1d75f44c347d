// The door's check log as the door screen and an inspector see it: today's line ("Today: 214
// checked, 3 refused; lists 2 h old", with plurals) and the CSV export's file. The log itself (10-
// minute buckets, no names, 90 days, crash-safe) is the core's.
package org.doorpass.passui

import org.doorpass.core.CheckLogSummary

/** The CSV of the check log and the name of the file it is shared as. */
data class CheckLogExport(
    /** `doorpass-checks-2026-12-03.csv`. */
    val fileName: String,
    /** The core's CSV, header first. */
    val csv: String,
)

/** Today's line for [summary]: checked and refused counts, and the age of the older list if any. */
fun summaryText(summary: CheckLogSummary): UiText {
    val checked = UiText.plural("door_checked", summary.checked.toLong())
    val refused = UiText.plural("door_refused_count", summary.refused.toLong())
    val listsAge = listOfNotNull(summary.trustListAgeSeconds, summary.statusListAgeSeconds).maxOrNull()
        ?: return UiText("door_summary_today", checked, refused)
    return UiText("door_summary_today_lists", checked, refused, ageText(listsAge))
}

/** The export's file name for the day of [now] in [format]'s zone. */
fun checkLogFileName(now: ULong, format: TimeFormat): String = "doorpass-checks-${format.date(now)}.csv"
