// Enrolment and re-authentication: the phone number, then the code that was sent. Each error is one
// sentence from the view model with one button for the next step it names (ErrorView.action).
package org.doorpass.app.ui

import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import org.doorpass.app.R
import org.doorpass.passui.EnrolStep
import org.doorpass.passui.ErrorAction
import org.doorpass.passui.ErrorView
import org.doorpass.passui.UiText

/** What the enrolment screen's buttons do (each forwards to EnrolViewModel). */
class EnrolActions(
    /** Send a code to this phone number. */
    val submitSubject: (String) -> Unit,
    /** Trade this code for a pass. */
    val submitCode: (String) -> Unit,
    /** Send a new code. */
    val requestNewCode: () -> Unit,
    /** Give up, back to the phone number. */
    val cancel: () -> Unit,
)

/** The enrolment step [step] as a screen. */
@Composable
fun EnrolScreen(step: EnrolStep, actions: EnrolActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        when (step) {
            is EnrolStep.EnterSubject -> SubjectStep(step, actions)
            is EnrolStep.Sending -> Waiting(R.string.enrol_sending)
            is EnrolStep.EnterCode -> CodeStep(step, actions)
            is EnrolStep.Verifying -> Waiting(R.string.enrol_verifying)
            is EnrolStep.Done -> {
                Text(localized(UiText("enrol_done", step.holderName)), style = MaterialTheme.typography.titleMedium)
                TextButton(onClick = actions.cancel) { Text(stringResource(R.string.enrol_start_again)) }
            }
        }
    }
}

/** The phone number. */
@Composable
private fun SubjectStep(step: EnrolStep.EnterSubject, actions: EnrolActions) {
    var subject by rememberSaveable { mutableStateOf("") }
    val send = { actions.submitSubject(subject) }
    Text(stringResource(R.string.enrol_title), style = MaterialTheme.typography.headlineSmall)
    OutlinedTextField(
        value = subject,
        onValueChange = { subject = it },
        label = { Text(stringResource(R.string.enrol_subject_label)) },
        singleLine = true,
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone, imeAction = ImeAction.Send),
        keyboardActions = KeyboardActions(onSend = { send() }),
        modifier = Modifier.fillMaxWidth(),
    )
    step.error?.let { error ->
        ErrorWithNextStep(error) { action ->
            when (action) {
                ErrorAction.RETYPE_CODE, ErrorAction.START_AGAIN -> { subject = "" }
                ErrorAction.RETRY, ErrorAction.NEW_CODE, ErrorAction.REAUTHENTICATE -> send()
                ErrorAction.NONE -> Unit
            }
        }
    }
    Button(onClick = send, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.enrol_send_code)) }
    TextButton(onClick = actions.cancel) { Text(stringResource(R.string.enrol_cancel)) }
}

/** The code that was sent. */
@Composable
private fun CodeStep(step: EnrolStep.EnterCode, actions: EnrolActions) {
    var code by rememberSaveable(step.subject) { mutableStateOf("") }
    val submit = { actions.submitCode(code) }
    val title = if (step.reauthentication) R.string.reauth_title else R.string.enrol_title
    Text(stringResource(title), style = MaterialTheme.typography.headlineSmall)
    OutlinedTextField(
        value = code,
        onValueChange = { typed -> code = typed.filter(Char::isDigit).take(step.codeLength) },
        label = { Text(localized(UiText("enrol_code_label", step.codeLength.toString()))) },
        singleLine = true,
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number, imeAction = ImeAction.Done),
        keyboardActions = KeyboardActions(onDone = { submit() }),
        modifier = Modifier.fillMaxWidth(),
    )
    step.error?.let { error ->
        ErrorWithNextStep(error) { action ->
            when (action) {
                ErrorAction.RETYPE_CODE -> { code = "" }
                ErrorAction.RETRY -> submit()
                ErrorAction.NEW_CODE, ErrorAction.REAUTHENTICATE -> actions.requestNewCode()
                ErrorAction.START_AGAIN -> actions.cancel()
                ErrorAction.NONE -> Unit
            }
        }
    }
    Button(onClick = submit, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.enrol_submit)) }
    TextButton(onClick = actions.requestNewCode) { Text(stringResource(R.string.enrol_new_code)) }
    TextButton(onClick = actions.cancel) { Text(stringResource(R.string.enrol_cancel)) }
}

/** The error's sentence and the one button for its next step; [perform] does what the step means here. */
@Composable
private fun ErrorWithNextStep(error: ErrorView, perform: (ErrorAction) -> Unit) {
    ErrorText(error)
    val label = buttonLabel(error.action) ?: return
    OutlinedButton(onClick = { perform(error.action) }) { Text(stringResource(label)) }
}

/** The label of the button for [action], or `null` when the message stands alone. */
@StringRes
private fun buttonLabel(action: ErrorAction): Int? = when (action) {
    ErrorAction.NONE -> null
    ErrorAction.RETYPE_CODE -> R.string.enrol_retype
    ErrorAction.NEW_CODE -> R.string.enrol_new_code
    ErrorAction.START_AGAIN -> R.string.enrol_start_again
    ErrorAction.REAUTHENTICATE -> R.string.button_reauthenticate
    ErrorAction.RETRY -> R.string.enrol_retry
}

/** A spinner and what is being waited for. */
@Composable
private fun Waiting(@StringRes what: Int) {
    Column(
        Modifier.fillMaxWidth().padding(top = 48.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        CircularProgressIndicator()
        Text(stringResource(what))
    }
}
