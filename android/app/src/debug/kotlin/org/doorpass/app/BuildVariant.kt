// Debug builds: the core's log lines go to a buffer the QA panel shows, and the QA panel has a tab.
// (src/release has the same object with neither, so no QA code ships in a release build.)
package org.doorpass.app

import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Build
import org.doorpass.core.LogLevel
import org.doorpass.core.setLogger
import org.doorpass.passui.LogBuffer

/** What only debug builds add to the app. */
internal object BuildVariant {
    /** The core's last log lines, for the QA panel. */
    private val coreLog = LogBuffer()

    /** Sends the core's log lines, debug level and up, to the QA panel's buffer. */
    @Suppress("UNUSED_PARAMETER") // The release variant has the same signature.
    fun onApplicationCreated(app: DoorpassApplication) {
        setLogger(coreLog, LogLevel.DEBUG)
    }

    /** The QA tab. */
    fun extraTabs(app: DoorpassApplication): List<AppTab> =
        listOf(AppTab(R.string.tab_qa, Icons.Filled.Build) { QaPanelTab(app, coreLog) })
}
