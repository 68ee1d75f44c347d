// What the screens share: the string table in the composition, text from the view models' UiText,
// an error's sentence, the screen shown when the wallet or the door cannot be opened, and the activity
// behind a Compose context.
package org.doorpass.app.ui

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.doorpass.core.DoorpassException
import org.doorpass.passui.DeviceClock
import org.doorpass.passui.ErrorView
import org.doorpass.passui.Strings
import org.doorpass.passui.TimeFormat
import org.doorpass.passui.UiText
import org.doorpass.passui.errorView

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

/** Something a tab opens first (the wallet, the door verifier), or the message saying why it could not. */
sealed interface Opening<out T> {
    /** Opened. */
    data class Ready<T>(val value: T) : Opening<T>

    /** Not opened; the message to show. */
    data class Failed(val error: ErrorView) : Opening<Nothing>
}

/** Runs [open], turning the core's error into its message. */
fun <T> openOrExplain(clock: DeviceClock, open: () -> T): Opening<T> = try {
    Opening.Ready(open())
} catch (e: DoorpassException) {
    Opening.Failed(errorView(e, clock.now(), TimeFormat()))
}

/** The whole tab when its wallet or door could not be opened. */
@Composable
fun OpenFailure(error: ErrorView) {
    Box(Modifier.fillMaxSize().padding(24.dp), contentAlignment = Alignment.Center) {
        ErrorText(error)
    }
}

/** The activity behind this context (Compose may hand out a wrapper). */
tailrec fun Context.findActivity(): Activity? = when (this) {
    is Activity -> this
    is ContextWrapper -> baseContext.findActivity()
    else -> null
}
