// Door settings, for door staff: whether to refuse a pass whose revocation could not be checked,
// whether to refuse a pass that can never be revoked (it names no status list), and whether to refuse
// a pass whose holder key was not attested to be in a phone's secure hardware; and the self-service
// (kiosk) layout, for a phone facing the customers. The core applies a check change from the next
// code on; the app keeps the settings and gives them back at the next start.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// What door staff choose; the rest of the door's configuration is the app's.
public struct DoorSettings: Equatable {
    /// Refuse a revocable pass whose status list is missing or too old.
    public var requireRevocationCheck = false
    /// Refuse a pass that names no status list, which can never be revoked.
    public var refuseUnrevocable = false
    /// Refuse a pass whose holder key the issuer did not find attested in secure hardware.
    public var requireHardwareKey = false
    /// Self-service: the screen faces the customers (no names on tap, no settings in reach); the
    /// app's own layout, not the core's.
    public var kiosk = false

    /// The given settings (all off by default).
    public init(requireRevocationCheck: Bool = false, refuseUnrevocable: Bool = false,
                requireHardwareKey: Bool = false, kiosk: Bool = false) {
        self.requireRevocationCheck = requireRevocationCheck
        self.refuseUnrevocable = refuseUnrevocable
        self.requireHardwareKey = requireHardwareKey
        self.kiosk = kiosk
    }

    /// The core's door configuration with these settings, for a door fetching from `issuerUrl`.
    public func config(issuerUrl: String?) -> DoorConfig {
        DoorConfig(issuerUrl: issuerUrl, allowStaticCodes: false, clockToleranceSeconds: 0,
                   requireRevocationCheck: requireRevocationCheck, refuseUnrevocable: refuseUnrevocable,
                   requireHardwareKey: requireHardwareKey)
    }
}

/// The switches of the door settings screen.
public enum DoorSetting: CaseIterable {
    /// Refuse a revocable pass whose status list is missing or too old.
    case requireRevocationCheck
    /// Refuse a pass that names no status list.
    case refuseUnrevocable
    /// Refuse a pass whose holder key was not attested to be in secure hardware.
    case requireHardwareKey
    /// The self-service layout (with the Guided Access hint).
    case kiosk
}

/// One switch as the screen draws it: its label, the sentence under it, and whether it is on.
public struct DoorSettingRow: Equatable {
    /// Which switch.
    public let setting: DoorSetting
    /// Its label.
    public let label: UiText
    /// What it does, in one sentence.
    public let explanation: UiText
    /// Whether it is on.
    public let isOn: Bool
}

/// The door settings screen's logic, over the open door.
@MainActor
public final class DoorSettingsViewModel: ObservableObject {
    /// The settings in force.
    @Published public private(set) var settings: DoorSettings

    private let door: DoorVerifier
    private let issuerUrl: String?
    private let save: (DoorSettings) -> Void

    /// Applies `initial` to `door` (fetching from `issuerUrl`); each change is handed to `save`.
    public init(door: DoorVerifier, initial: DoorSettings, issuerUrl: String?,
                save: @escaping (DoorSettings) -> Void = { _ in }) {
        self.door = door
        self.settings = initial
        self.issuerUrl = issuerUrl
        self.save = save
        door.setConfig(config: initial.config(issuerUrl: issuerUrl))
    }

    /// The switches, in the order the screen shows them.
    public var rows: [DoorSettingRow] { rowsOf(settings) }

    /// Turns `setting` on or off; the door applies it from the next code on.
    public func set(_ setting: DoorSetting, on: Bool) {
        var changed = settings
        switch setting {
        case .requireRevocationCheck: changed.requireRevocationCheck = on
        case .refuseUnrevocable: changed.refuseUnrevocable = on
        case .requireHardwareKey: changed.requireHardwareKey = on
        case .kiosk: changed.kiosk = on
        }
        door.setConfig(config: changed.config(issuerUrl: issuerUrl))
        settings = changed
        save(changed)
    }
}

/// The switches for `settings`, with their string keys.
public func rowsOf(_ settings: DoorSettings) -> [DoorSettingRow] {
    [
        DoorSettingRow(setting: .requireRevocationCheck, label: UiText("door_setting_require_revocation_check"),
                       explanation: UiText("door_setting_require_revocation_check_help"),
                       isOn: settings.requireRevocationCheck),
        DoorSettingRow(setting: .refuseUnrevocable, label: UiText("door_setting_refuse_unrevocable"),
                       explanation: UiText("door_setting_refuse_unrevocable_help"),
                       isOn: settings.refuseUnrevocable),
        DoorSettingRow(setting: .requireHardwareKey, label: UiText("door_setting_require_hardware_key"),
                       explanation: UiText("door_setting_require_hardware_key_help"),
                       isOn: settings.requireHardwareKey),
        DoorSettingRow(setting: .kiosk, label: UiText("door_kiosk_mode"),
                       explanation: UiText("door_kiosk_mode_help"), isOn: settings.kiosk),
    ]
}
