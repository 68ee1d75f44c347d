// The app's start: opening the wallet and the door reads files, fsyncs and takes locks, so it runs
// on a background thread while the screen shows a loading state; the view models are then made on
// the main actor from what was opened. A failure becomes the sentence the screen shows, with a retry.

#if canImport(Combine)
import Combine
#endif
import DoorpassCore
import Foundation

/// Where the start is.
public enum LaunchState<Ready> {
    /// Opening (the screen shows a progress indicator).
    case loading
    /// Open: what the screens need.
    case ready(Ready)
    /// The wallet or the door could not be opened: the message, whose action is a retry.
    case failed(ErrorView)
}

/// Opens the app's storage off the main actor, then builds what the screens need on it.
@MainActor
public final class LaunchViewModel<Ready>: ObservableObject {
    /// The current state (`.loading` until `start()` ends).
    @Published public private(set) var state: LaunchState<Ready> = .loading

    private let load: @MainActor () async -> Result<Ready, Error>
    private var opening: Task<Void, Never>?

    /// Runs `open` on a background thread (never the main actor), then `ready` on the main actor
    /// with what it opened.
    public init<Opened>(open: @escaping @Sendable () throws -> Opened,
                        ready: @escaping @MainActor (Opened) throws -> Ready) {
        load = {
            let opened = await Task.detached(priority: .userInitiated) {
                Result { try open() }
            }.value
            switch opened {
            case let .success(value):
                do {
                    return .success(try ready(value))
                } catch {
                    return .failure(error)
                }
            case let .failure(error):
                return .failure(error)
            }
        }
    }

    /// Opens everything and returns once open or failed; while another call is opening, waits for
    /// it (the screen and a background task may both ask). Open: nothing more. Failed: tries again.
    public func start() async {
        if let opening {
            await opening.value
            return
        }
        if case .ready = state { return }
        state = .loading
        let task = Task { @MainActor in
            switch await load() {
            case let .success(ready):
                state = .ready(ready)
            case let .failure(error):
                state = .failed(errorView(anyError: error, now: ShiftedClock().now(), format: TimeFormat()))
            }
        }
        opening = task
        await task.value
        opening = nil
    }

    /// What was opened, once ready.
    public var ready: Ready? {
        if case let .ready(value) = state { return value }
        return nil
    }
}
