// The Check passes tab, for door staff, built for a queue: the camera keeps scanning; each verdict
// fills the camera area in letters readable at arm's length (green valid, amber check the ID, red
// refused) with its tone and vibration and a TalkBack announcement; the scanner takes the next code
// within a second with no tap (VerifyViewModel's pacing, ticked here). A valid pass shows initials and
// birthday; a tap shows the full name and birth date. Above: the trust list's age, today's summary
// from the check log, its CSV export (share sheet), and the door settings with the kiosk mode.
package org.doorpass.app.ui

import android.Manifest
import android.content.ClipData
import android.content.Intent
import android.content.pm.PackageManager
import android.view.WindowManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.annotation.StringRes
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalView
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
import androidx.core.content.FileProvider
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import java.io.File
import kotlinx.coroutines.delay
import org.doorpass.app.BuildConfig
import org.doorpass.app.DoorpassApplication
import org.doorpass.app.R
import org.doorpass.core.DoorSignal
import org.doorpass.passui.CheckLogExport
import org.doorpass.passui.DoorResult
import org.doorpass.passui.DoorScreenState
import org.doorpass.passui.UiText
import org.doorpass.passui.announcement
import org.doorpass.passui.signal

private val ValidGreen = Color(0xFF1B5E20)
private val CheckIdAmber = Color(0xFFE65100)
private val RefusedRed = Color(0xFFB71C1C)

/** How often the screen moves the scanner's pacing on, in milliseconds. */
private const val TICK_MILLIS = 100L

/** The Check passes tab: a spinner while the door verifier opens (off the UI thread), then the door. */
@Composable
fun VerifyTab(app: DoorpassApplication) {
    WhenOpen(app.doorLoader) { door ->
        val model = viewModel {
            DoorTabModel(door, app.clock, app.doorSettings, BuildConfig.ISSUER_URL) { app.doorSettings = it }
        }
        VerifyScreen(model)
    }
}

/** The door screen: the lists' age and today's summary, the camera, and the verdict over it. */
@Composable
private fun VerifyScreen(model: DoorTabModel) {
    val state by model.verify.state.collectAsStateWithLifecycle()
    val settings by model.settings.settings.collectAsStateWithLifecycle()
    val context = LocalContext.current
    val view = LocalView.current
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
    // The pacing: ready for the next code under a second after a verdict, the verdict gone later.
    LaunchedEffect(model) {
        while (true) {
            model.verify.tick()
            delay(TICK_MILLIS)
        }
    }
    // Each verdict once: its tone, its vibration, and what TalkBack says.
    val feedback = remember(context) { DoorFeedback(context) }
    DisposableEffect(feedback) { onDispose { feedback.release() } }
    val strings = LocalStrings.current
    LaunchedEffect(state.verdictNumber) {
        if (state.verdictNumber == 0L) return@LaunchedEffect
        state.result.signal?.let(feedback::play)
        state.result.announcement?.let { view.announceForAccessibility(strings.get(it)) }
    }
    KeepScreenOn()
    if (settings.kioskMode) PinnedToTheScanner()
    var showingSettings by remember { mutableStateOf(false) }

    Column(Modifier.fillMaxSize()) {
        DoorStatus(
            state,
            onSettings = { showingSettings = true },
            onExport = { model.exportCheckLog { export -> share(context, export) } },
        )
        Box(Modifier.weight(1f).fillMaxWidth()) {
            if (showingSettings) {
                DoorSettingsPanel(model.settings, onDone = { showingSettings = false }, modifier = Modifier.fillMaxSize())
            } else if (cameraAllowed) {
                QrScanner(onCode = model::onScanned, modifier = Modifier.fillMaxSize(), frontCamera = settings.kioskMode)
                if (state.scannerReady && state.result == DoorResult.Idle) {
                    Text(
                        stringResource(R.string.door_scan_hint),
                        modifier = Modifier.align(Alignment.BottomCenter).padding(16.dp)
                            .background(Color.Black.copy(alpha = 0.6f)).padding(8.dp),
                        color = Color.White,
                    )
                }
            } else {
                TextButton(
                    onClick = { askForCamera.launch(Manifest.permission.CAMERA) },
                    modifier = Modifier.align(Alignment.Center).padding(24.dp),
                ) {
                    Text(stringResource(R.string.door_no_camera), textAlign = TextAlign.Center)
                }
            }
            if (state.result != DoorResult.Idle && !showingSettings) {
                ResultPanel(
                    state,
                    onToggleIdentity = model.verify::toggleFullIdentity,
                    onNextGuest = model.verify::clear,
                    modifier = Modifier.fillMaxSize(),
                )
            }
        }
    }
}

/** Hands the check log's CSV to the share sheet (a file in the cache, shared through FileProvider). */
private fun share(context: android.content.Context, export: CheckLogExport) {
    val folder = File(context.cacheDir, "exports").apply { mkdirs() }
    val file = File(folder, export.fileName).apply { writeText(export.csv) }
    val uri = FileProvider.getUriForFile(context, "${context.packageName}.exports", file)
    val send = Intent(Intent.ACTION_SEND)
        .setType("text/csv")
        .putExtra(Intent.EXTRA_STREAM, uri)
        .putExtra(Intent.EXTRA_SUBJECT, context.getString(R.string.door_export_title))
        .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
    send.clipData = ClipData.newRawUri(export.fileName, uri)
    context.startActivity(Intent.createChooser(send, context.getString(R.string.door_export_title)))
}

/** The door screen stays on while it is shown: a queue does not wait for an unlock. */
@Composable
private fun KeepScreenOn() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        activity.window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        onDispose { activity.window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON) }
    }
}

/**
 * Kiosk mode: the screen pinned to the app (Android lock task; screen pinning with the system's
 * confirmation unless the device is provisioned for it), so guests cannot leave the scanner.
 */
@Composable
private fun PinnedToTheScanner() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        try {
            activity.startLockTask()
        } catch (e: IllegalArgumentException) {
            // Not allowed here (a work profile's policy): the door still works, unpinned.
        } catch (e: SecurityException) {
            // As above.
        }
        onDispose {
            try {
                activity.stopLockTask()
            } catch (e: IllegalStateException) {
                // Already unpinned by the person at the door.
            }
        }
    }
}

/** "Trust list 3 h old", today's summary, a warning when the list is due, the export and the settings. */
@Composable
private fun DoorStatus(state: DoorScreenState, onSettings: () -> Unit, onExport: () -> Unit) {
    Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp)) {
        Text(stringResource(R.string.door_title), style = MaterialTheme.typography.titleLarge)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            TextButton(onClick = onSettings) { Text(stringResource(R.string.door_settings_title)) }
            TextButton(onClick = onExport) { Text(stringResource(R.string.door_export_csv)) }
        }
        state.today?.let { Text(localized(it), style = MaterialTheme.typography.titleMedium) }
        state.trustListAge?.let { Text(localized(it), style = MaterialTheme.typography.bodyMedium) }
        if (state.trustListStale) {
            Text(
                stringResource(R.string.trust_list_stale),
                color = MaterialTheme.colorScheme.error,
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        state.exportError?.let { ErrorText(it) }
    }
}

/**
 * The verdict, filling the camera area in letters readable at arm's length: green (amber: check the
 * ID closely) with initials and birthday, the full name and birth date on a tap; or red with the reason.
 */
@Composable
private fun ResultPanel(
    state: DoorScreenState,
    onToggleIdentity: () -> Unit,
    onNextGuest: () -> Unit,
    modifier: Modifier = Modifier,
) {
    val result = state.result
    val background = when (result.signal) {
        DoorSignal.VALID -> ValidGreen
        DoorSignal.CHECK_ID -> CheckIdAmber
        else -> RefusedRed
    }
    Column(
        modifier.background(background).clickable(onClick = onToggleIdentity).padding(24.dp)
            .semantics { liveRegion = LiveRegionMode.Assertive },
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(12.dp, Alignment.CenterVertically),
    ) {
        when (result) {
            is DoorResult.Valid -> {
                Verdict(R.string.door_valid)
                if (result.signal == DoorSignal.CHECK_ID) WhiteText(stringResource(R.string.door_check_id), 28.sp)
                if (state.showFullIdentity) {
                    WhiteText(result.holderName, 36.sp)
                    WhiteText(localized(UiText("door_birth_date", result.birthDate)), 28.sp)
                    WhiteText(stringResource(R.string.door_hide_full), MaterialTheme.typography.bodyLarge.fontSize)
                } else {
                    WhiteText(result.initials, 64.sp)
                    WhiteText(localized(result.birthday), 28.sp)
                    WhiteText(stringResource(R.string.door_show_full), MaterialTheme.typography.bodyLarge.fontSize)
                }
                WhiteText(localized(result.kind), MaterialTheme.typography.bodyLarge.fontSize)
                WhiteText(localized(result.validity), MaterialTheme.typography.bodyLarge.fontSize)
                result.revocation?.let { WhiteText(localized(it), MaterialTheme.typography.bodyLarge.fontSize) }
                WhiteText(localized(result.key), MaterialTheme.typography.bodyLarge.fontSize)
            }
            is DoorResult.Refused -> {
                Verdict(R.string.door_refused)
                WhiteText(localized(result.reason), 28.sp)
            }
            is DoorResult.Failed -> WhiteText(localized(result.error.text), 28.sp)
            DoorResult.Idle -> Unit
        }
        if (state.scannerReady) WhiteText(stringResource(R.string.door_scanner_ready), MaterialTheme.typography.bodyLarge.fontSize)
        TextButton(onClick = onNextGuest) {
            Text(stringResource(R.string.door_next_guest), color = Color.White)
        }
    }
}

/** "Valid" or "Not valid", as large as the screen allows. */
@Composable
private fun Verdict(@StringRes word: Int) {
    Text(stringResource(word), color = Color.White, fontSize = 72.sp, fontWeight = FontWeight.Bold, textAlign = TextAlign.Center)
}

/** A line of the result in white, centred. */
@Composable
private fun WhiteText(text: String, fontSize: TextUnit) {
    Text(text, color = Color.White, fontSize = fontSize, textAlign = TextAlign.Center)
}
