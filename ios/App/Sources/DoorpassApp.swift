// The iOS app: three tabs (the holder's pass, checking passes at a door, and in debug builds the QA
// panel) over one wallet, one door verifier and their view models. The Rust core decides; the view
// models say what to show; the views only draw it.

import DoorpassCore
import DoorpassViewModels
import SwiftUI

/// The app's entry point.
@main
@MainActor
struct DoorpassApp: App {
    private let launch: AppLaunch
    @Environment(\.scenePhase) private var scenePhase

    /// Opens the wallet and the door, and registers the background renewal (before launch ends,
    /// as BGTaskScheduler requires).
    init() {
        launch = AppLaunch.start()
        if case let .ready(shell) = launch {
            BackgroundRenewalTask.register(host: shell.host, clock: shell.clock)
        }
    }

    var body: some Scene {
        WindowGroup {
            switch launch {
            case let .ready(shell):
                MainTabs(shell: shell)
            case let .failed(message):
                LaunchFailedView(message: message)
            }
        }
        .onChange(of: scenePhase) { phase in
            guard phase == .background, case let .ready(shell) = launch else { return }
            BackgroundRenewalTask.schedule(at: shell.host.wallet.nextRenewalAt(), clock: shell.clock)
        }
    }
}

/// The app after launch: running, or unable to open its storage.
@MainActor
enum AppLaunch {
    /// Everything is open.
    case ready(AppShell)
    /// The wallet or the door could not be opened: the sentence to show.
    case failed(UiText)

    /// Opens everything once for the process.
    static func start() -> AppLaunch {
        do {
            return .ready(try AppShell(configuration: try AppConfiguration.load()))
        } catch let error as AppConfiguration.Missing {
            assertionFailure("Doorpass build configuration: \(error)")
            return .failed(UiText("error_internal"))
        } catch {
            return .failed(errorView(anyError: error, now: ShiftedClock().now(), format: TimeFormat()).text)
        }
    }
}

/// The long-lived parts of the running app: the clock, the core's log, the wallet and the door,
/// and one view model per screen.
@MainActor
final class AppShell {
    /// Device time (shifted only by the QA panel).
    let clock = ShiftedClock()
    /// The core's recent log lines, for the QA panel.
    let log = LogBuffer()
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

    /// Opens the wallet and the door in the app's Application Support folder.
    init(configuration: AppConfiguration) throws {
        setLogger(logger: log, maxLevel: .info)
        let folder = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask,
                                                 appropriateFor: nil, create: true)
        let keychain = KeychainSecretStore()
        host = try WalletHost(home: folder.appendingPathComponent("wallet").path,
                              anchor: configuration.anchor, secretStore: keychain,
                              issuerUrl: configuration.issuerUrl, allowPlainHttp: configuration.allowPlainHttp,
                              bootClock: MonotonicBootClock(),
                              holderSigner: SecureEnclaveHolderSigner(store: keychain))
        let kept = KeptDoorSettings()
        let door = try DoorVerifier.open(
            dir: folder.appendingPathComponent("door").path, anchor: configuration.anchor,
            config: kept.settings.config(issuerUrl: configuration.issuerUrl))
        pass = PassViewModel(host: host, clock: clock)
        enrol = EnrolViewModel(host: host, clock: clock)
        verify = VerifyViewModel(door: door, clock: clock)
        doorSettings = DoorSettingsViewModel(door: door, initial: kept.settings, issuerUrl: configuration.issuerUrl,
                                             save: { kept.settings = $0 })
        #if DEBUG
        qa = QAPanelViewModel(host: host, clock: clock, log: log)
        #endif
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
                shell.enrol.cancel()
                shell.pass.refresh()
            }
            .tabItem { Label(UiText("tab_qa").localized, systemImage: "wrench.and.screwdriver") }
            #endif
        }
    }
}

/// Shown when the app cannot open its storage at all.
@MainActor
struct LaunchFailedView: View {
    let message: UiText

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle")
                .font(.system(size: 56))
                .accessibilityHidden(true)
            Text(message.localized)
                .font(.title3)
                .multilineTextAlignment(.center)
        }
        .padding(32)
    }
}

/// What door staff chose in the door settings, kept in the app's user defaults.
struct KeptDoorSettings {
    private let defaults = UserDefaults.standard

    /// The settings kept (all off until changed).
    var settings: DoorSettings {
        get {
            DoorSettings(requireRevocationCheck: defaults.bool(forKey: "checks.requireRevocationCheck"),
                         refuseUnrevocable: defaults.bool(forKey: "checks.refuseUnrevocable"),
                         requireHardwareKey: defaults.bool(forKey: "checks.requireHardwareKey"))
        }
        nonmutating set {
            defaults.set(newValue.requireRevocationCheck, forKey: "checks.requireRevocationCheck")
            defaults.set(newValue.refuseUnrevocable, forKey: "checks.refuseUnrevocable")
            defaults.set(newValue.requireHardwareKey, forKey: "checks.requireHardwareKey")
        }
    }
}
