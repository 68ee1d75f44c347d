// The Check passes tab, for door staff: the camera scanning, then a large green or red result with
// the reason, the holder's name and birth date to compare with an ID card, and the trust list's age.
// Checking needs no network; everything shown comes from VerifyViewModel.
package org.doorpass.app.ui

import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.annotation.StringRes
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.TextUnit
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import org.doorpass.app.BuildConfig
import org.doorpass.app.DoorpassApplication
import org.doorpass.app.R
import org.doorpass.passui.DoorResult
import org.doorpass.passui.DoorScreenState
import org.doorpass.passui.UiText

private val ValidGreen = Color(0xFF1B5E20)
private val RefusedRed = Color(0xFFB71C1C)

/** The Check passes tab, once its door verifier is open. */
@Composable
fun VerifyTab(app: DoorpassApplication) {
    when (val opening = remember { openOrExplain(app.clock) { app.doorVerifier } }) {
        is Opening.Failed -> OpenFailure(opening.error)
        is Opening.Ready -> {
            val model = viewModel {
                DoorTabModel(opening.value, app.clock, app.doorSettings, BuildConfig.ISSUER_URL) { app.doorSettings = it }
            }
            VerifyScreen(model)
        }
    }
}

/** The door screen: the trust list's age, the camera, and the result over it once a code is read. */
@Composable
private fun VerifyScreen(model: DoorTabModel) {
    val state by model.verify.state.collectAsStateWithLifecycle()
    val context = LocalContext.current
    var cameraAllowed by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    val askForCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        cameraAllowed = granted
    }
    LaunchedEffect(Unit) {
        model.refreshTrustList()
        if (!cameraAllowed) askForCamera.launch(Manifest.permission.CAMERA)
    }
    // Codes read while a result is shown are ignored: one guest at a time.
    val showingResult by rememberUpdatedState(state.result != DoorResult.Idle)
    var showingSettings by remember { mutableStateOf(false) }

    Column(Modifier.fillMaxSize()) {
        TrustListStatus(state, onSettings = { showingSettings = true })
        Box(Modifier.weight(1f).fillMaxWidth()) {
            if (showingSettings) {
                DoorSettingsPanel(model.settings, onDone = { showingSettings = false }, modifier = Modifier.fillMaxSize())
            } else if (cameraAllowed) {
                QrScanner(
                    onCode = { text -> if (!showingResult) model.verify.verify(text) },
                    modifier = Modifier.fillMaxSize(),
                )
                Text(
                    stringResource(R.string.door_scan_hint),
                    modifier = Modifier.align(Alignment.BottomCenter).padding(16.dp)
                        .background(Color.Black.copy(alpha = 0.6f)).padding(8.dp),
                    color = Color.White,
                )
            } else {
                TextButton(
                    onClick = { askForCamera.launch(Manifest.permission.CAMERA) },
                    modifier = Modifier.align(Alignment.Center).padding(24.dp),
                ) {
                    Text(stringResource(R.string.door_no_camera), textAlign = TextAlign.Center)
                }
            }
            if (state.result != DoorResult.Idle) {
                ResultPanel(state.result, onNextGuest = model.verify::clear, modifier = Modifier.fillMaxSize())
            }
        }
    }
}

/** "Trust list 3 h old", a warning when it is due for an update, and the way to the door settings. */
@Composable
private fun TrustListStatus(state: DoorScreenState, onSettings: () -> Unit) {
    Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp)) {
        Text(stringResource(R.string.door_title), style = MaterialTheme.typography.titleLarge)
        TextButton(onClick = onSettings) { Text(stringResource(R.string.door_settings_title)) }
        state.trustListAge?.let { Text(localized(it), style = MaterialTheme.typography.bodyMedium) }
        if (state.trustListStale) {
            Text(
                stringResource(R.string.trust_list_stale),
                color = MaterialTheme.colorScheme.error,
                style = MaterialTheme.typography.bodyMedium,
            )
        }
    }
}

/** The verdict, filling the camera area: green with the holder to compare, or red with the reason. */
@Composable
private fun ResultPanel(result: DoorResult, onNextGuest: () -> Unit, modifier: Modifier = Modifier) {
    val background = if (result is DoorResult.Valid) ValidGreen else RefusedRed
    Column(
        modifier.background(background).padding(24.dp).semantics { liveRegion = LiveRegionMode.Assertive },
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(12.dp, Alignment.CenterVertically),
    ) {
        when (result) {
            is DoorResult.Valid -> {
                Verdict(R.string.door_valid)
                WhiteText(result.holderName, MaterialTheme.typography.headlineMedium.fontSize)
                WhiteText(stringResource(R.string.door_compare_id), MaterialTheme.typography.bodyLarge.fontSize)
                WhiteText(localized(UiText("door_birth_date", result.birthDate)), MaterialTheme.typography.headlineSmall.fontSize)
                WhiteText(localized(result.kind), MaterialTheme.typography.bodyLarge.fontSize)
                WhiteText(localized(result.validity), MaterialTheme.typography.bodyLarge.fontSize)
                result.revocation?.let { WhiteText(localized(it), MaterialTheme.typography.bodyLarge.fontSize) }
                WhiteText(localized(result.key), MaterialTheme.typography.bodyLarge.fontSize)
            }
            is DoorResult.Refused -> {
                Verdict(R.string.door_refused)
                WhiteText(localized(result.reason), MaterialTheme.typography.headlineSmall.fontSize)
            }
            is DoorResult.Failed -> WhiteText(localized(result.error.text), MaterialTheme.typography.headlineSmall.fontSize)
            DoorResult.Idle -> Unit
        }
        Button(
            onClick = onNextGuest,
            colors = ButtonDefaults.buttonColors(containerColor = Color.White, contentColor = background),
        ) {
            Text(stringResource(R.string.door_next_guest))
        }
    }
}

/** "Valid" or "Not valid", as large as the screen allows. */
@Composable
private fun Verdict(@StringRes word: Int) {
    Text(stringResource(word), color = Color.White, fontSize = 56.sp, fontWeight = FontWeight.Bold, textAlign = TextAlign.Center)
}

/** A line of the result in white, centred. */
@Composable
private fun WhiteText(text: String, fontSize: TextUnit) {
    Text(text, color = Color.White, fontSize = fontSize, textAlign = TextAlign.Center)
}
