// Release builds: no QA panel and no log buffer (src/debug has the debug version of this object).
package org.doorpass.app

/** What only debug builds add to the app: nothing here. */
internal object BuildVariant {
    /** Nothing to set up: the core's log lines go nowhere in a release build. */
    @Suppress("UNUSED_PARAMETER") // The debug variant has the same signature.
    fun onApplicationCreated(app: DoorpassApplication) = Unit

    /** No extra tab. */
    @Suppress("UNUSED_PARAMETER") // The debug variant has the same signature.
    fun extraTabs(app: DoorpassApplication): List<AppTab> = emptyList()
}
