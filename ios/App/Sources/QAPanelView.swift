// The QA panel, in debug builds only: the issuer URL and presets, a clock offset, simulated offline,
// renew now, wipe, and the core's last log lines.

#if DEBUG
import Combine
import DoorpassViewModels
import SwiftUI

/// The QA panel, drawn from `QAPanelViewModel.state`.
@MainActor
struct QAPanelView: View {
    @ObservedObject var model: QAPanelViewModel
    /// Called after the wallet was replaced (another issuer, or wiped).
    let onWalletReplaced: () -> Void
    @State private var issuerUrl = ""
    @State private var clockOffset = ""
    @State private var wipeAsked = false
    private let logRefresh = Timer.publish(every: 2, on: .main, in: .common).autoconnect()

    /// The panel of `model`; `onWalletReplaced` runs after another issuer is chosen or a wipe.
    init(model: QAPanelViewModel, onWalletReplaced: @escaping () -> Void) {
        _model = ObservedObject(wrappedValue: model)
        self.onWalletReplaced = onWalletReplaced
    }

    var body: some View {
        NavigationView {
            Form {
                issuerSection
                Section(header: Text(UiText("qa_clock_offset").localized)) {
                    TextField(UiText("qa_clock_offset").localized, text: $clockOffset)
                        .keyboardType(.numbersAndPunctuation)
                        .onSubmit(applyClockOffset)
                    Button(UiText("qa_apply").localized, action: applyClockOffset)
                }
                Section {
                    Toggle(UiText("qa_simulate_offline").localized, isOn: Binding(
                        get: { model.state.simulateOffline },
                        set: { model.setSimulateOffline($0) }))
                    Button(UiText("qa_force_renewal").localized) {
                        Task { await model.forceRenewal() }
                    }
                    Button(UiText("qa_wipe").localized, role: .destructive) { wipeAsked = true }
                }
                if let message = model.state.message {
                    Section {
                        Text(message.localized)
                    }
                }
                Section(header: Text(UiText("qa_log").localized)) {
                    ForEach(Array(model.state.lastLog.enumerated()), id: \.offset) { line in
                        Text(line.element)
                            .font(.caption.monospaced())
                    }
                }
            }
            .navigationTitle(UiText("qa_title").localized)
            .confirmationDialog(UiText("qa_wipe").localized, isPresented: $wipeAsked, titleVisibility: .visible) {
                Button(UiText("qa_wipe").localized, role: .destructive) {
                    Task {
                        await model.wipe()
                        onWalletReplaced()
                    }
                }
            }
        }
        .navigationViewStyle(.stack)
        .onAppear {
            issuerUrl = model.state.issuerUrl
            clockOffset = String(model.state.clockOffsetSeconds)
            model.refreshLog()
        }
        .onReceive(logRefresh) { _ in model.refreshLog() }
    }

    private var issuerSection: some View {
        Section(header: Text(UiText("qa_issuer_url").localized)) {
            TextField(UiText("qa_issuer_url").localized, text: $issuerUrl)
                .keyboardType(.URL)
                .textInputAutocapitalization(.never)
                .disableAutocorrection(true)
            Button(UiText("qa_apply").localized) { useIssuer(issuerUrl) }
            ForEach(issuerPresets(), id: \.url) { preset in
                Button {
                    issuerUrl = preset.url
                    useIssuer(preset.url)
                } label: {
                    VStack(alignment: .leading) {
                        Text(preset.label.localized)
                        Text(preset.url)
                            .font(.caption.monospaced())
                            .foregroundColor(.secondary)
                    }
                }
            }
        }
    }

    private func useIssuer(_ url: String) {
        Task {
            await model.setIssuer(url.trimmingCharacters(in: .whitespacesAndNewlines))
            onWalletReplaced()
        }
    }

    private func applyClockOffset() {
        if let seconds = Int64(clockOffset.trimmingCharacters(in: .whitespaces)) {
            model.setClockOffset(seconds)
        }
    }
}
#endif
