// The device's clock since boot for the core: SystemClock.elapsedRealtime() (it counts deep sleep
// and nobody can set it) with the boot count, so the wallet keeps codes on the true time when
// someone sets the phone's clock ahead or back (docs/mobile.md).
package org.doorpass.app

import android.content.Context
import android.os.SystemClock
import android.provider.Settings
import org.doorpass.core.BootClock
import org.doorpass.core.BootClockReading

/** Android's boot clock: [SystemClock.elapsedRealtime] and [Settings.Global.BOOT_COUNT]. */
class ElapsedRealtimeBootClock(context: Context) : BootClock {
    /** The boot count is fixed for the life of this process: read it once. */
    private val bootId: String = try {
        Settings.Global.getInt(context.contentResolver, Settings.Global.BOOT_COUNT).toString()
    } catch (e: Settings.SettingNotFoundException) {
        "" // unknown: a restart is then seen by a smaller reading only
    }

    override fun read(): BootClockReading =
        BootClockReading(elapsedMillis = SystemClock.elapsedRealtime().toULong(), bootId = bootId)
}
