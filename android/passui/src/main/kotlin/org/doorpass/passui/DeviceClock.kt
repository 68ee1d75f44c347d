// The time the view models give the core: the device clock, plus the offset QA may set to test
// renewals and expiry without waiting. The core corrects it with the issuer's time itself.
package org.doorpass.passui

/** Device time in Unix seconds, as the core expects it. */
fun interface DeviceClock {
    /** Now, Unix seconds. */
    fun now(): ULong
}

/** The system clock shifted by [offsetSeconds] (0 outside the QA panel). */
class ShiftedClock(@Volatile var offsetSeconds: Long = 0) : DeviceClock {
    override fun now(): ULong = (System.currentTimeMillis() / 1000 + offsetSeconds).coerceAtLeast(0).toULong()
}
