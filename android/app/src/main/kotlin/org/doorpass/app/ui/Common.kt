// What the screens share: the string table in the composition, text from the view models' UiText,
// an error's sentence, the loading and failure screens of what a tab opens first (off the UI thread,
// by passui's Loader), and the activity behind a Compose context.
package org.doorpass.app.ui

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import kotlinx.coroutines.launch
import org.doorpass.app.R
import org.doorpass.passui.ErrorView
import org.doorpass.passui.Loader
import org.doorpass.passui.Opening
import org.doorpass.passui.Strings
import org.doorpass.passui.UiText

/** The string table of the device language; MainActivity provides it. */
val LocalStrings = staticCompositionLocalOf<Strings> { error("LocalStrings is provided by MainActivity") }

/** [text] as a sentence in the device language. */
@Composable
@ReadOnlyComposable
fun localized(text: UiText): String = LocalStrings.current.get(text)

/** An error's sentence, in the error colour. */
@Composable
fun ErrorText(error: ErrorView, modifier: Modifier = Modifier) {
    Text(
        localized(error.text),
        modifier = modifier,
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyLarge,
    )
}

/**
 * What a tab opens first (the wallet, the door verifier), opened by [loader] off the UI thread: a
 * spinner while it opens, the message with a retry when it could not be opened, else [content].
 */
@Composable
fun <T> WhenOpen(loader: Loader<T>, content: @Composable (T) -> Unit) {
    val opening by loader.state.collectAsStateWithLifecycle()
    val scope = rememberCoroutineScope()
    LaunchedEffect(loader) { loader.load() }
    when (val state = opening) {
        Opening.Loading -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
            Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(16.dp)) {
                CircularProgressIndicator()
                Text(stringResource(R.string.loading))
            }
        }
        is Opening.Failed -> OpenFailure(state.error, onRetry = { scope.launch { loader.load() } })
        is Opening.Ready -> content(state.value)
    }
}

/** The whole tab when its wallet or door could not be opened, with a button to try again. */
@Composable
fun OpenFailure(error: ErrorView, onRetry: () -> Unit) {
    Box(Modifier.fillMaxSize().padding(24.dp), contentAlignment = Alignment.Center) {
        Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(16.dp)) {
            ErrorText(error)
            OutlinedButton(onClick = onRetry) { Text(stringResource(R.string.enrol_retry)) }
        }
    }
}

/** The activity behind this context (Compose may hand out a wrapper). */
tailrec fun Context.findActivity(): Activity? = when (this) {
    is Activity -> this
    is ContextWrapper -> baseContext.findActivity()
    else -> null
}
