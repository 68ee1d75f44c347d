// The iOS app: three tabs (the holder's pass, checking passes at a door, and in debug builds the QA
// panel) over one wallet, one door verifier and their view models. The Rust core decides; the view
// models say what to show; the views only draw it. The storage opens off the main actor behind a
// loading screen, and a privacy cover hides every screen whenever the app is not in front.

import DoorpassCore
import DoorpassViewModels
import SwiftUI

/// The app's entry point.
@main
@MainActor
struct DoorpassApp: App {
    @StateObject private var launch: LaunchViewModel<AppShell>
    @Environment(\.scenePhase) private var scenePhase

    /// Prepares the start (the storage is opened off the main actor once the window shows) and
    /// registers both background renewal tasks (before launch ends, as BGTaskScheduler requires; a
    /// run waits for the storage to open).
    init() {
        let launch = AppLaunch.model()
        _launch = StateObject(wrappedValue: launch)
        BackgroundRenewalTask.register {
            await launch.start()
            return launch.ready.map { ($0.host, $0.clock as DeviceClock) }
        }
    }

    var body: some Scene {
        WindowGroup {
            ZStack {
                switch launch.state {
                case .loading:
                    ProgressView(UiText("loading").localized)
                case let .ready(shell):
                    MainTabs(shell: shell)
                case let .failed(error):
                    LaunchFailedView(message: error.text) { Task { await launch.start() } }
                }
                // The app switcher's snapshot shows this cover, not a pass or a door verdict.
                if scenePhase != .active {
                    PrivacyCover()
                }
            }
            .task { await launch.start() }
        }
        .onChange(of: scenePhase) { phase in
            guard phase == .background, let shell = launch.ready else { return }
            // Both renewal tasks from the core's plan as it stands (none without a pass).
            BackgroundRenewalTask.submit(plannedBackgroundRun(host: shell.host, clock: shell.clock).requests(),
                                         clock: shell.clock)
        }
    }
}

/// The start of the app: what is opened off the main actor, and what is then made on it.
@MainActor
enum AppLaunch {
    /// The launch view model: opens the wallet and the door on a background thread, then makes the
    /// view models.
    static func model() -> LaunchViewModel<AppShell> {
        LaunchViewModel(open: { try OpenedStorage.open() }, ready: { AppShell(opened: $0) })
    }
}

/// The wallet and the door, opened in the app's Application Support folder (off the main actor).
struct OpenedStorage {
    let configuration: AppConfiguration
    let host: WalletHost
    let door: DoorVerifier
    let kept: KeptDoorSettings
    let log: LogBuffer

    static func open() throws -> OpenedStorage {
        let configuration = try AppConfiguration.load()
        let log = LogBuffer()
        setLogger(logger: log, maxLevel: .info)
        let folder = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask,
                                                 appropriateFor: nil, create: true)
        let keychain = KeychainSecretStore()
        let host = try WalletHost(home: folder.appendingPathComponent("wallet").path,
                                  anchor: configuration.anchor, secretStore: keychain,
                                  issuerUrl: configuration.issuerUrl,
                                  allowPlainHttp: configuration.allowPlainHttp,
                                  bootClock: MonotonicBootClock(),
                                  holderSigner: SecureEnclaveHolderSigner(store: keychain))
        let kept = KeptDoorSettings()
        let door = try DoorVerifier.open(
            dir: folder.appendingPathComponent("door").path, anchor: configuration.anchor,
            config: kept.settings.config(issuerUrl: configuration.issuerUrl))
        return OpenedStorage(configuration: configuration, host: host, door: door, kept: kept, log: log)
    }
}

/// The long-lived parts of the running app: the clock, the core's log, the wallet and the door,
/// and one view model per screen.
@MainActor
final class AppShell {
    /// Device time (shifted only by the QA panel).
    let clock = ShiftedClock()
    /// The core's recent log lines, for the QA panel.
    let log: LogBuffer
    /// The wallet.
    let host: WalletHost
    /// The pass screen.
    let pass: PassViewModel
    /// Enrolment and re-authentication.
    let enrol: EnrolViewModel
    /// The door screen.
    let verify: VerifyViewModel
    /// The door settings.
    let doorSettings: DoorSettingsViewModel
    #if DEBUG
    /// The QA panel.
    let qa: QAPanelViewModel
    #endif

    /// The view models over what `opened` holds.
    init(opened: OpenedStorage) {
        log = opened.log
        host = opened.host
        let kept = opened.kept
        pass = PassViewModel(host: host, clock: clock)
        enrol = EnrolViewModel(host: host, clock: clock)
        verify = VerifyViewModel(door: opened.door, clock: clock)
        doorSettings = DoorSettingsViewModel(door: opened.door, initial: kept.settings,
                                             issuerUrl: opened.configuration.issuerUrl,
                                             save: { kept.settings = $0 })
        #if DEBUG
        qa = QAPanelViewModel(host: host, clock: clock, log: log)
        #endif
        verify.setKiosk(kept.settings.kiosk)
    }
}

/// The tab bar.
@MainActor
struct MainTabs: View {
    let shell: AppShell

    var body: some View {
        TabView {
            PassTab(pass: shell.pass, enrol: shell.enrol)
                .tabItem { Label(UiText("tab_pass").localized, systemImage: "qrcode") }
            VerifyView(model: shell.verify, settings: shell.doorSettings)
                .tabItem { Label(UiText("tab_verify").localized, systemImage: "checkmark.shield") }
            #if DEBUG
            QAPanelView(model: shell.qa) {
                // Another issuer or a wiped wallet: the other screens start over.
                shell.pass.refresh()
                Task { await shell.enrol.cancel() }
            }
            .tabItem { Label(UiText("tab_qa").localized, systemImage: "wrench.and.screwdriver") }
            #endif
        }
    }
}

/// Shown when the app cannot open its storage at all, with a way to try again.
@MainActor
struct LaunchFailedView: View {
    let message: UiText
    let onRetry: () -> Void

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle")
                .font(.system(size: 56))
                .accessibilityHidden(true)
            Text(message.localized)
                .font(.title3)
                .multilineTextAlignment(.center)
            Button(UiText("enrol_retry").localized, action: onRetry)
                .buttonStyle(.borderedProminent)
        }
        .padding(32)
    }
}

/// What the app switcher's snapshot shows while the app is not in front: the app's name on a plain
/// background, never a pass, a name or a door verdict. (Screenshots are not blocked: a code in one
/// is refused 90 s after its step began, and the holder may want one of the card's details.)
@MainActor
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(uiColor: .systemBackground).ignoresSafeArea()
            VStack(spacing: 12) {
                Image(systemName: "lock.shield")
                    .font(.system(size: 64))
                    .accessibilityHidden(true)
                Text(UiText("app_name").localized)
                    .font(.title.bold())
            }
        }
        .accessibilityHidden(true)
    }
}

/// What door staff chose in the door settings, kept in the app's user defaults.
struct KeptDoorSettings: @unchecked Sendable {
    private let defaults = UserDefaults.standard

    /// The settings kept (all off until changed).
    var settings: DoorSettings {
        get {
            DoorSettings(requireRevocationCheck: defaults.bool(forKey: "checks.requireRevocationCheck"),
                         refuseUnrevocable: defaults.bool(forKey: "checks.refuseUnrevocable"),
                         requireHardwareKey: defaults.bool(forKey: "checks.requireHardwareKey"),
                         kiosk: defaults.bool(forKey: "door.kiosk"))
        }
        nonmutating set {
            defaults.set(newValue.requireRevocationCheck, forKey: "checks.requireRevocationCheck")
            defaults.set(newValue.refuseUnrevocable, forKey: "checks.refuseUnrevocable")
            defaults.set(newValue.requireHardwareKey, forKey: "checks.requireHardwareKey")
            defaults.set(newValue.kiosk, forKey: "door.kiosk")
        }
    }
}
