// Opening what a tab needs first (the wallet, the door verifier) off the UI thread: opening reads
// files, syncs them to disk and takes a lock, which would freeze the screen if done while drawing.
// The tab shows a spinner while [Loader] is [Opening.Loading], the thing once it is ready, or the
// message saying why it could not be opened (a retry opens it again).
package org.doorpass.passui

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/** Where opening something stands. */
sealed interface Opening<out T> {
    /** Being opened: show a spinner. */
    data object Loading : Opening<Nothing>

    /** Opened. */
    data class Ready<T>(val value: T) : Opening<T>

    /** Not opened; the message to show. */
    data class Failed(val error: ErrorView) : Opening<Nothing>
}

/** Opens a value with [opener] on [io] (never the caller's thread), publishing each step in [state]. */
class Loader<T>(
    private val clock: DeviceClock,
    private val io: CoroutineDispatcher = Dispatchers.IO,
    private val format: TimeFormat = TimeFormat(),
    private val opener: () -> T,
) {
    private val mutable = MutableStateFlow<Opening<T>>(Opening.Loading)

    /** Loading, ready or failed. */
    val state: StateFlow<Opening<T>> = mutable.asStateFlow()

    /**
     * Opens the value (again after a failure; a value already open is kept). Any error, the core's
     * or another, becomes [Opening.Failed]; a cancelled load goes back to [Opening.Loading].
     */
    suspend fun load() {
        if (mutable.value is Opening.Ready) return
        mutable.update { Opening.Loading }
        val next = try {
            Opening.Ready(withContext(io) { opener() })
        } catch (e: Throwable) {
            Opening.Failed(errorViewOf(e, clock.now(), format))
        }
        mutable.update { next }
    }
}
