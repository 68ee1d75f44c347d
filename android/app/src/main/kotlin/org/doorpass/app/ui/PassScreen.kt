// The Pass tab: the passes side by side (swiped), each with its QR code at full brightness, the
// rotation countdown, name, kind and validity; the offline badge; the renewal / re-authentication
// banner with its "Confirm it is me" button. With no pass yet, or while a code flow is under way, the
// tab shows the enrolment screen instead. Everything drawn comes from PassViewModel / EnrolViewModel.
package org.doorpass.app.ui

import android.view.WindowManager
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.pager.HorizontalPager
import androidx.compose.foundation.pager.rememberPagerState
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.repeatOnLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import kotlinx.coroutines.delay
import org.doorpass.app.DoorpassApplication
import org.doorpass.app.R
import org.doorpass.app.RenewalWorker
import org.doorpass.passui.EnrolStep
import org.doorpass.passui.PassCard
import org.doorpass.passui.PassScreenState
import org.doorpass.passui.UiText

/** The Pass tab: a spinner while the wallet opens (off the UI thread), then the passes. */
@Composable
fun PassTab(app: DoorpassApplication) {
    WhenOpen(app.walletLoader) { host ->
        val model = viewModel {
            PassTabModel(host, app.clock) { queue ->
                RenewalWorker.schedule(app, queue, app.clock.now())
            }
        }
        PassTabContent(model)
    }
}

/** The passes, or the enrolment screen when there are none or a code flow is under way. */
@Composable
private fun PassTabContent(model: PassTabModel) {
    val screen by model.pass.state.collectAsStateWithLifecycle()
    val step by model.enrol.step.collectAsStateWithLifecycle()
    var enrolmentAsked by rememberSaveable { mutableStateOf(false) }
    val codeFlowUnderWay = step is EnrolStep.Sending || step is EnrolStep.EnterCode || step is EnrolStep.Verifying
    LaunchedEffect(step) {
        if (step is EnrolStep.Done) enrolmentAsked = false
    }
    if (screen.needsEnrolment || enrolmentAsked || codeFlowUnderWay) {
        EnrolScreen(
            step,
            EnrolActions(
                submitSubject = model::submitSubject,
                submitCode = model::submitCode,
                requestNewCode = model::requestNewCode,
                // Back to the passes, if there are any; with none, the phone number again.
                cancel = {
                    model.restartEnrolment()
                    enrolmentAsked = false
                },
            ),
        )
    } else {
        PassScreen(
            screen,
            onTick = model.pass::refresh,
            onVisible = model::renewQuietly,
            onReauthenticate = { passId ->
                enrolmentAsked = true
                model.reauthenticate(passId)
            },
            onAddPass = {
                model.restartEnrolment()
                enrolmentAsked = true
            },
        )
    }
}

/**
 * The passes. While the screen is visible it calls [onTick] at every whole second (the countdown and
 * the rotating code) and [onVisible] each time it becomes visible (a quiet renewal).
 */
@Composable
fun PassScreen(
    state: PassScreenState,
    onTick: () -> Unit,
    onVisible: () -> Unit,
    onReauthenticate: (passId: String) -> Unit,
    onAddPass: () -> Unit,
) {
    val tick by rememberUpdatedState(onTick)
    val visible by rememberUpdatedState(onVisible)
    val lifecycle = LocalLifecycleOwner.current.lifecycle
    LaunchedEffect(lifecycle) {
        lifecycle.repeatOnLifecycle(Lifecycle.State.STARTED) {
            visible()
            while (true) {
                tick()
                delay(1_000L - System.currentTimeMillis() % 1_000L)
            }
        }
    }
    if (state.cards.isNotEmpty()) {
        FullBrightness()
        HiddenFromRecents()
    }

    Surface(Modifier.fillMaxSize(), color = Color.White, contentColor = Color.Black) {
        Column(
            Modifier.fillMaxSize().padding(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            if (state.offline) OfflineBadge()
            state.error?.let { ErrorText(it) }
            state.banner?.let { Banner(it, state.reauthenticatePassId, onReauthenticate) }
            val pager = rememberPagerState { state.cards.size }
            HorizontalPager(
                pager,
                modifier = Modifier.weight(1f).fillMaxWidth(),
                key = { index -> state.cards.getOrNull(index)?.passId ?: index },
            ) { page ->
                state.cards.getOrNull(page)?.let { PassCardView(it) }
            }
            if (state.cards.size > 1) PageDots(state.cards.size, pager.currentPage)
            TextButton(onClick = onAddPass) { Text(stringResource(R.string.enrol_title)) }
        }
    }
}

/** One pass: name, kind, the code with its screen-reader label, the countdown, the validity. */
@Composable
private fun PassCardView(card: PassCard) {
    val label = localized(card.accessibilityLabel)
    Column(
        Modifier.fillMaxSize(),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(8.dp, Alignment.CenterVertically),
    ) {
        Text(card.holderName, style = MaterialTheme.typography.headlineMedium, textAlign = TextAlign.Center)
        Text(localized(card.kind), style = MaterialTheme.typography.titleMedium)
        card.qr?.let { qr ->
            QrCanvas(
                qr,
                Modifier.fillMaxWidth().aspectRatio(1f).semantics { contentDescription = label },
            )
            if (!qr.isStatic) {
                Text(localized(UiText("countdown", card.secondsUntilRotation.toString())))
            }
        }
        Text(localized(card.validity), style = MaterialTheme.typography.bodyLarge)
    }
}

/** "Offline — this pass still works". */
@Composable
private fun OfflineBadge() {
    Surface(color = MaterialTheme.colorScheme.tertiaryContainer, shape = RoundedCornerShape(50)) {
        Text(
            stringResource(R.string.offline_badge),
            modifier = Modifier.padding(horizontal = 16.dp, vertical = 6.dp),
            style = MaterialTheme.typography.labelLarge,
        )
    }
}

/** The notice above the passes, with the button that starts re-authentication when there is one. */
@Composable
private fun Banner(text: UiText, reauthenticatePassId: String?, onReauthenticate: (String) -> Unit) {
    Surface(
        color = MaterialTheme.colorScheme.secondaryContainer,
        shape = RoundedCornerShape(12.dp),
        modifier = Modifier.fillMaxWidth(),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(localized(text))
            if (reauthenticatePassId != null) {
                Button(onClick = { onReauthenticate(reauthenticatePassId) }) {
                    Text(stringResource(R.string.button_reauthenticate))
                }
            }
        }
    }
}

/** Which of [count] passes is shown. */
@Composable
private fun PageDots(count: Int, current: Int) {
    Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
        repeat(count) { index ->
            val color = if (index == current) Color.Black else Color.LightGray
            Box(Modifier.size(8.dp).background(color, CircleShape))
        }
    }
}

/**
 * Keeps the pass out of the recent-apps thumbnail (and out of screen recordings) while a code shows:
 * FLAG_SECURE on the window, cleared when the passes leave the screen (docs/shells.md says why this
 * rather than a privacy overlay). Screenshots are blocked too, which costs nothing: codes rotate.
 */
@Composable
private fun HiddenFromRecents() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        activity.window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        onDispose { activity.window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE) }
    }
}

/** Raises the screen to full brightness and keeps it on while the code shows; restores both after. */
@Composable
private fun FullBrightness() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        val window = activity.window
        val previous = window.attributes.screenBrightness
        window.attributes = window.attributes.apply {
            screenBrightness = WindowManager.LayoutParams.BRIGHTNESS_OVERRIDE_FULL
        }
        window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        onDispose {
            window.attributes = window.attributes.apply { screenBrightness = previous }
            window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        }
    }
}
