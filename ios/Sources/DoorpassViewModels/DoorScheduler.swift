// Time for the door screen's state machine: when the scanner is ready again after a verdict, and
// when the verdict leaves the screen. Injected, so that tests step it by hand instead of sleeping.

import Foundation

/// A scheduled action that can be called off.
public final class ScheduledAction: @unchecked Sendable {
    private let lock = NSLock()
    private var onCancel: (() -> Void)?

    /// An action that `onCancel` calls off.
    public init(onCancel: @escaping () -> Void) {
        self.onCancel = onCancel
    }

    /// Calls the action off (nothing if it already ran or was called off).
    public func cancel() {
        lock.lock()
        let cancel = onCancel
        onCancel = nil
        lock.unlock()
        cancel?()
    }
}

/// Runs actions on the main actor after a delay.
public protocol DoorScheduler: AnyObject {
    /// Runs `action` on the main actor `seconds` from now, unless the result is cancelled first.
    func schedule(after seconds: Double, _ action: @escaping @MainActor () -> Void) -> ScheduledAction
}

/// The app's scheduler: the main dispatch queue.
public final class MainQueueScheduler: DoorScheduler {
    /// The main queue's clock.
    public init() {}

    /// Runs `action` on the main queue after `seconds`.
    public func schedule(after seconds: Double, _ action: @escaping @MainActor () -> Void) -> ScheduledAction {
        let item = DispatchWorkItem {
            Task { @MainActor in action() }
        }
        DispatchQueue.main.asyncAfter(deadline: .now() + seconds, execute: item)
        return ScheduledAction { item.cancel() }
    }
}
