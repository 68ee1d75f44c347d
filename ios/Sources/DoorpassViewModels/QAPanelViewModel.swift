// The QA panel (debug builds only): which issuer, a clock offset, simulate offline, force renewal,
// short-lifetime issuer presets, wipe, and the last lines the core logged.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// An issuer QA can switch to in one tap.
public struct IssuerPreset: Hashable, Sendable {
    /// Its name on the button.
    public let label: UiText
    /// Its base URL.
    public let url: String
}

/// The presets for `doorpass issuer serve --dev` on the QA machine: the iOS simulator reaches the
/// host at 127.0.0.1 (the Android emulator at 10.0.2.2). Start the short one with `--pass-ttl 120s
/// --refresh-grace 0s` on port 8081.
public func issuerPresets(host: String = "127.0.0.1") -> [IssuerPreset] {
    [
        IssuerPreset(label: UiText("qa_preset_normal"), url: "http://\(host):8080"),
        IssuerPreset(label: UiText("qa_preset_short_lifetimes"), url: "http://\(host):8081"),
    ]
}

/// The core's log lines, the newest `capacity` kept for the QA panel. The core never logs secrets.
public final class LogBuffer: DoorpassCore.Logger, @unchecked Sendable {
    private let capacity: Int
    private let lock = NSLock()
    private var lines: [String] = []

    /// Keeps the newest `capacity` lines.
    public init(capacity: Int = 200) {
        self.capacity = capacity
    }

    /// Called by the core for each line: `INFO target: message`.
    public func log(level: LogLevel, target: String, message: String) {
        lock.lock(); defer { lock.unlock() }
        lines.append("\(LogBuffer.name(of: level)) \(target): \(message)")
        if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
    }

    /// The kept lines, oldest first.
    public func snapshot() -> [String] {
        lock.lock(); defer { lock.unlock() }
        return lines
    }

    private static func name(of level: LogLevel) -> String {
        switch level {
        case .error: return "ERROR"
        case .warn: return "WARN"
        case .info: return "INFO"
        case .debug: return "DEBUG"
        }
    }
}

/// What the QA panel shows.
public struct QAPanelState: Equatable {
    /// The issuer the wallet talks to.
    public let issuerUrl: String
    /// Seconds added to the clock the core sees.
    public let clockOffsetSeconds: Int64
    /// No call leaves the app.
    public let simulateOffline: Bool
    /// The newest core log lines, oldest first.
    public let lastLog: [String]
    /// The outcome of the last action.
    public let message: UiText?
}

/// The QA panel's logic.
@MainActor
public final class QAPanelViewModel: ObservableObject {
    /// The current panel state.
    @Published public private(set) var state: QAPanelState

    private let host: WalletHost
    private let clock: ShiftedClock
    private let log: LogBuffer

    /// The panel over `host`, shifting `clock`, showing the lines of `log`.
    public init(host: WalletHost, clock: ShiftedClock, log: LogBuffer) {
        self.host = host
        self.clock = clock
        self.log = log
        state = QAPanelState(issuerUrl: host.issuerUrl, clockOffsetSeconds: clock.offsetSeconds,
                             simulateOffline: host.simulateOffline, lastLog: [], message: nil)
    }

    /// Points the wallet at `url` (a preset or typed).
    public func setIssuer(_ url: String) async {
        do {
            try await host.switchIssuer(url)
            publish(UiText("qa_issuer_set", url))
        } catch {
            publish(failure(error))
        }
    }

    /// Shifts the clock the core sees (e.g. a day ahead to make renewal due).
    public func setClockOffset(_ seconds: Int64) {
        clock.offsetSeconds = seconds
        publish(UiText("qa_clock_offset_set", String(seconds)))
    }

    /// Turns simulated offline on or off.
    public func setSimulateOffline(_ on: Bool) {
        host.simulateOffline = on
        publish(UiText(on ? "qa_offline_on" : "qa_offline_off"))
    }

    /// Renews every pass now, due or not.
    public func forceRenewal() async {
        let wallet = host.wallet
        var renewed = 0
        var message: UiText?
        for pass in wallet.passes(now: clock.now()) {
            do {
                if try await wallet.renewNow(passId: pass.id, now: clock.now()).isRenewed { renewed += 1 }
            } catch {
                message = failure(error)
            }
        }
        publish(message ?? .plural("qa_renewed", count: renewed))
    }

    /// Deletes the wallet and its secrets, then opens a fresh one.
    public func wipe() async {
        do {
            try await host.wallet.wipe()
            try await host.reopen()
            publish(UiText("qa_wiped"))
        } catch {
            publish(failure(error))
        }
    }

    /// Re-reads the log buffer.
    public func refreshLog() {
        publish(state.message)
    }

    private func failure(_ error: Error) -> UiText {
        errorView(anyError: error, now: clock.now(), format: TimeFormat()).text
    }

    private func publish(_ message: UiText?) {
        state = QAPanelState(issuerUrl: host.issuerUrl, clockOffsetSeconds: clock.offsetSeconds,
                             simulateOffline: host.simulateOffline, lastLog: Array(log.snapshot().suffix(30)),
                             message: message)
    }
}
