// The door settings, for door staff: one switch per setting with the sentence saying what it does,
// drawn from DoorSettingsViewModel. The core applies a change from the next code on.
package org.doorpass.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.doorpass.app.R
import org.doorpass.passui.DoorSettingsViewModel
import org.doorpass.passui.rowsOf

/** The door settings panel, closed with [onDone]. */
@Composable
fun DoorSettingsPanel(model: DoorSettingsViewModel, onDone: () -> Unit, modifier: Modifier = Modifier) {
    val settings by model.settings.collectAsStateWithLifecycle()
    val error by model.error.collectAsStateWithLifecycle()
    Column(modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(16.dp)) {
        Text(stringResource(R.string.door_settings_title), style = MaterialTheme.typography.titleLarge)
        error?.let { ErrorText(it) }
        for (row in rowsOf(settings)) {
            Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f).padding(end = 12.dp)) {
                    Text(localized(row.label), style = MaterialTheme.typography.bodyLarge)
                    Text(localized(row.explanation), style = MaterialTheme.typography.bodyMedium)
                }
                Switch(checked = row.on, onCheckedChange = { on -> model.set(row.setting, on) })
            }
        }
        TextButton(onClick = onDone) { Text(stringResource(R.string.door_settings_done)) }
    }
}
