// The door settings, for door staff: one switch per setting with the sentence saying what it does,
// drawn from DoorSettingsViewModel. The core applies a change from the next code on.

import DoorpassViewModels
import SwiftUI

/// The door settings sheet, closed with `onDone`.
@MainActor
struct DoorSettingsView: View {
    @ObservedObject var model: DoorSettingsViewModel
    let onDone: () -> Void

    var body: some View {
        NavigationView {
            Form {
                ForEach(model.rows, id: \.label) { row in
                    Toggle(isOn: Binding(get: { row.isOn }, set: { model.set(row.setting, on: $0) })) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(row.label.localized)
                            Text(row.explanation.localized)
                                .font(.footnote)
                                .foregroundColor(.secondary)
                        }
                    }
                }
            }
            .navigationTitle(UiText("door_settings_title").localized)
            .toolbar {
                ToolbarItem(placement: .confirmationAction) {
                    Button(UiText("door_settings_done").localized, action: onDone)
                }
            }
        }
    }
}
