// Enrolment and re-authentication: the phone number, then the code. Every core error shows as its one
// sentence with its one next step (the view model's `ErrorView`); the pass in hand is untouched.

import DoorpassViewModels
import SwiftUI

/// The enrolment flow, drawn from `EnrolViewModel.step`.
@MainActor
struct EnrolView: View {
    @ObservedObject var model: EnrolViewModel
    /// Called when a pass has been stored.
    let onDone: () -> Void
    @State private var subject = ""
    @State private var code = ""
    @FocusState private var codeFieldFocused: Bool

    /// The flow of `model`; `onDone` runs once a pass is stored.
    init(model: EnrolViewModel, onDone: @escaping () -> Void) {
        _model = ObservedObject(wrappedValue: model)
        self.onDone = onDone
    }

    var body: some View {
        Form {
            switch model.step {
            case let .enterSubject(error):
                subjectSection(error: error)
            case .sending:
                progress(UiText("enrol_sending"))
            case let .enterCode(entry):
                codeSection(entry)
            case .verifying:
                progress(UiText("enrol_verifying"))
            case let .done(_, holderName):
                Section {
                    Label(UiText("enrol_done", holderName).localized, systemImage: "checkmark.circle.fill")
                }
            }
        }
        .navigationTitle(title.localized)
        .onChange(of: model.step) { step in
            if case .done = step { onDone() }
            if case .enterCode = step { codeFieldFocused = true }
        }
    }

    private var title: UiText {
        if case let .enterCode(entry) = model.step, entry.reauthentication { return UiText("reauth_title") }
        return UiText("enrol_title")
    }

    private func subjectSection(error: ErrorView?) -> some View {
        Section {
            TextField(UiText("enrol_subject_label").localized, text: $subject)
                .keyboardType(.phonePad)
                .textContentType(.telephoneNumber)
            Button(UiText("enrol_send_code").localized) {
                Task { await model.submitSubject(subject) }
            }
            if let error {
                ErrorMessage(error: error, perform: performOnSubject)
            }
        }
    }

    private func codeSection(_ entry: CodeEntry) -> some View {
        Section {
            TextField(UiText("enrol_code_label", String(entry.codeLength)).localized, text: $code)
                .keyboardType(.numberPad)
                .textContentType(.oneTimeCode)
                .focused($codeFieldFocused)
                .font(.title2.monospacedDigit())
            Button(UiText("enrol_submit").localized) {
                Task { await model.submitCode(code) }
            }
            if let error = entry.error {
                ErrorMessage(error: error, perform: performOnCode)
            }
            Button(UiText("enrol_new_code").localized) {
                code = ""
                Task { await model.requestNewCode() }
            }
            Button(UiText("enrol_cancel").localized, role: .cancel) {
                code = ""
                Task { await model.cancel() }
            }
        }
    }

    /// The call under way, with a way out: cancelling shows the subject screen at once (the view
    /// model drops the late answer).
    private func progress(_ text: UiText) -> some View {
        Section {
            HStack(spacing: 12) {
                ProgressView()
                Text(text.localized)
            }
            Button(UiText("enrol_cancel").localized, role: .cancel) {
                Task { await model.cancel() }
            }
        }
    }

    /// What an error's button does on the subject screen (as on Android).
    private func performOnSubject(_ action: ErrorAction) {
        switch action {
        case .none:
            break
        case .retypeCode, .startAgain:
            subject = ""
        case .retry, .newCode, .reauthenticate:
            Task { await model.submitSubject(subject) }
        }
    }

    /// What an error's button does on the code screen (as on Android).
    private func performOnCode(_ action: ErrorAction) {
        switch action {
        case .none:
            break
        case .retypeCode:
            code = ""
            codeFieldFocused = true
        case .retry:
            Task { await model.submitCode(code) }
        case .newCode, .reauthenticate:
            code = ""
            Task { await model.requestNewCode() }
        case .startAgain:
            code = ""
            Task { await model.cancel() }
        }
    }
}

/// An error's sentence and, when it has one, its button.
@MainActor
struct ErrorMessage: View {
    let error: ErrorView
    let perform: (ErrorAction) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Label(error.text.localized, systemImage: "exclamationmark.circle")
                .foregroundColor(.red)
                .fixedSize(horizontal: false, vertical: true)
            if let label = ErrorMessage.buttonLabel(error.action) {
                Button(label.localized) { perform(error.action) }
                    .buttonStyle(.bordered)
            }
        }
        .accessibilityElement(children: .contain)
    }

    /// The words on an action's button; `nil` for no button.
    static func buttonLabel(_ action: ErrorAction) -> UiText? {
        switch action {
        case .none: return nil
        case .retypeCode: return UiText("enrol_retype")
        case .newCode: return UiText("enrol_new_code")
        case .startAgain: return UiText("enrol_start_again")
        case .reauthenticate: return UiText("button_reauthenticate")
        case .retry: return UiText("enrol_retry")
        }
    }
}
