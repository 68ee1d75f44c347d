// The QA panel (debug builds only): which issuer (typed, or a preset for the QA machine), a clock
// offset, simulated offline, renew now, wipe, and the core's last log lines. It draws what
// QaPanelViewModel says and forwards every action to it.
package org.doorpass.app

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.ViewModel
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.doorpass.app.ui.WhenOpen
import org.doorpass.app.ui.localized
import org.doorpass.passui.LogBuffer
import org.doorpass.passui.QaPanelViewModel
import org.doorpass.passui.ShiftedClock
import org.doorpass.passui.WalletHost
import org.doorpass.passui.issuerPresets

/** How often the panel re-reads the log buffer, in milliseconds. */
private const val LOG_REFRESH_MILLIS = 2_000L

/** The QA tab's view model, kept across configuration changes. */
class QaTabModel(host: WalletHost, clock: ShiftedClock, log: LogBuffer) : ViewModel() {
    /** The panel's logic. */
    val panel = QaPanelViewModel(host, clock, log)

    /** Renews every pass now, due or not. */
    fun forceRenewal() {
        viewModelScope.launch { panel.forceRenewal() }
    }

    /** Points the wallet at [url]; the wallet is opened off the UI thread. */
    fun setIssuer(url: String) {
        viewModelScope.launch { panel.setIssuer(url) }
    }

    /** Deletes the wallet and its secrets, then opens a fresh one. */
    fun wipe() {
        viewModelScope.launch { panel.wipe() }
    }
}

/** The QA tab, once the wallet is open (a spinner while it opens, off the UI thread). */
@Composable
fun QaPanelTab(app: DoorpassApplication, log: LogBuffer) {
    WhenOpen(app.walletLoader) { host -> QaPanelScreen(viewModel { QaTabModel(host, app.clock, log) }) }
}

/** The panel. */
@Composable
private fun QaPanelScreen(model: QaTabModel) {
    val state by model.panel.state.collectAsStateWithLifecycle()
    LaunchedEffect(model) {
        while (true) {
            model.panel.refreshLog()
            delay(LOG_REFRESH_MILLIS)
        }
    }
    var typedUrl by rememberSaveable(state.issuerUrl) { mutableStateOf(state.issuerUrl) }
    var typedOffset by rememberSaveable(state.clockOffsetSeconds) { mutableStateOf(state.clockOffsetSeconds.toString()) }

    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.qa_title), style = MaterialTheme.typography.headlineSmall)

        OutlinedTextField(
            value = typedUrl,
            onValueChange = { typedUrl = it },
            label = { Text(stringResource(R.string.qa_issuer_url)) },
            singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
            modifier = Modifier.fillMaxWidth(),
        )
        Button(onClick = { model.setIssuer(typedUrl.trim()) }) { Text(stringResource(R.string.qa_apply)) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            for (preset in issuerPresets(BuildConfig.QA_ISSUER_HOST)) {
                OutlinedButton(onClick = { model.setIssuer(preset.url) }) { Text(localized(preset.label)) }
            }
        }

        OutlinedTextField(
            value = typedOffset,
            onValueChange = { typedOffset = it },
            label = { Text(stringResource(R.string.qa_clock_offset)) },
            singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Text, imeAction = ImeAction.Done),
            keyboardActions = KeyboardActions(onDone = { typedOffset.trim().toLongOrNull()?.let(model.panel::setClockOffset) }),
            modifier = Modifier.fillMaxWidth(),
        )

        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            Text(stringResource(R.string.qa_simulate_offline), modifier = Modifier.weight(1f))
            Switch(checked = state.simulateOffline, onCheckedChange = model.panel::setSimulateOffline)
        }

        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = model::forceRenewal) { Text(stringResource(R.string.qa_force_renewal)) }
            Button(
                onClick = model::wipe,
                colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error),
            ) {
                Text(stringResource(R.string.qa_wipe))
            }
        }

        state.message?.let { Text(localized(it), style = MaterialTheme.typography.bodyLarge) }

        Text(stringResource(R.string.qa_log), style = MaterialTheme.typography.titleMedium)
        for (line in state.lastLog) {
            Text(line, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
        }
    }
}
