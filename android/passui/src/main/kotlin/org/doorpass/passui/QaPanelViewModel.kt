// The QA panel (debug builds only): which issuer, a clock offset, simulate offline, force renewal,
// short-lifetime issuer presets, wipe, and the last lines the core logged.
package org.doorpass.passui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.doorpass.core.LogLevel
import org.doorpass.core.Logger
import org.doorpass.core.RenewalOutcome

/** An issuer QA can switch to in one tap. */
data class IssuerPreset(val label: UiText, val url: String)

/**
 * The presets for `doorpass issuer serve --dev` on the QA machine: the Android emulator reaches the
 * host at 10.0.2.2, the iOS simulator at 127.0.0.1. Start the short one with `--pass-ttl 120s
 * --refresh-grace 0s` on port 8081.
 */
fun issuerPresets(host: String): List<IssuerPreset> = listOf(
    IssuerPreset(UiText("qa_preset_normal"), "http://$host:8080"),
    IssuerPreset(UiText("qa_preset_short_lifetimes"), "http://$host:8081"),
)

/** The core's log lines, the newest [capacity] kept for the QA panel. The core never logs secrets. */
class LogBuffer(private val capacity: Int = 200) : Logger {
    private val lines = ArrayDeque<String>()

    override fun log(level: LogLevel, target: String, message: String) {
        synchronized(lines) {
            lines.addLast("$level $target: $message")
            while (lines.size > capacity) lines.removeFirst()
        }
    }

    /** The kept lines, oldest first. */
    fun snapshot(): List<String> = synchronized(lines) { lines.toList() }
}

/** What the QA panel shows. */
data class QaState(
    val issuerUrl: String,
    val clockOffsetSeconds: Long,
    val simulateOffline: Boolean,
    val lastLog: List<String> = emptyList(),
    /** The outcome of the last action. */
    val message: UiText? = null,
)

/** The QA panel's logic. */
class QaPanelViewModel(
    private val host: WalletHost,
    private val clock: ShiftedClock,
    private val log: LogBuffer,
) {
    private val mutable = MutableStateFlow(QaState(host.issuerUrl, clock.offsetSeconds, host.simulateOffline))

    /** The current panel state. */
    val state: StateFlow<QaState> = mutable.asStateFlow()

    /** Points the wallet at [url] (a preset or typed); the wallet is opened off the UI thread. */
    suspend fun setIssuer(url: String) {
        val message = try {
            host.switchIssuer(url)
            UiText("qa_issuer_set", url)
        } catch (e: Throwable) {
            failure(e)
        }
        publish(message)
    }

    /** Shifts the clock the core sees (e.g. a day ahead to make renewal due). */
    fun setClockOffset(seconds: Long) {
        clock.offsetSeconds = seconds
        publish(UiText("qa_clock_offset_set", seconds.toString()))
    }

    /** Turns simulated offline on or off. */
    fun setSimulateOffline(on: Boolean) {
        host.simulateOffline = on
        publish(UiText(if (on) "qa_offline_on" else "qa_offline_off"))
    }

    /** Renews every pass now, due or not. */
    suspend fun forceRenewal() {
        val wallet = host.wallet
        var renewed = 0
        var message: UiText? = null
        try {
            for (pass in wallet.passes(clock.now())) {
                try {
                    if (wallet.renewNow(pass.id, clock.now()) is RenewalOutcome.Renewed) renewed++
                } catch (e: Throwable) {
                    message = failure(e)
                }
            }
        } catch (e: Throwable) {
            message = failure(e)
        }
        publish(message ?: UiText.plural("qa_renewed", renewed.toLong()))
    }

    /** Deletes the wallet and its secrets, then opens a fresh one. */
    suspend fun wipe() {
        val message = try {
            host.wallet.wipe()
            host.reopen()
            UiText("qa_wiped")
        } catch (e: Throwable) {
            failure(e)
        }
        publish(message)
    }

    /** Re-reads the log buffer. */
    fun refreshLog() = publish(mutable.value.message)

    /** The message for any error (a coroutine's cancellation is thrown on). */
    private fun failure(error: Throwable): UiText = errorViewOf(error, clock.now(), TimeFormat()).text

    private fun publish(message: UiText?) {
        mutable.update { QaState(host.issuerUrl, clock.offsetSeconds, host.simulateOffline, log.snapshot().takeLast(30), message) }
    }
}
