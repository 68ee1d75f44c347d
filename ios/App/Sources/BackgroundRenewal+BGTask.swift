// Background renewal on iOS: a BGAppRefreshTask ("org.doorpass.renewal", listed in Info.plist's
// BGTaskSchedulerPermittedIdentifiers) runs the view models' `runBackgroundRenewal` and asks for the
// next run at the time it returns, never earlier. iOS decides when it actually runs; a pass in hand
// keeps working whether it runs or not.

import BackgroundTasks
import DoorpassViewModels
import Foundation

/// Registers, runs and schedules the renewal task.
enum BackgroundRenewalTask {
    /// The task identifier (also in Info.plist).
    static let identifier = "org.doorpass.renewal"

    /// Registers the task's handler; call once, before the app finishes launching. `opened` opens
    /// the wallet (off the main actor, or waits for the opening under way) and gives its host and
    /// clock, or `nil` when the storage cannot be opened.
    static func register(opened: @escaping @MainActor () async -> (WalletHost, DeviceClock)?) {
        let registered = BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let refresh = task as? BGAppRefreshTask else {
                task.setTaskCompleted(success: false)
                return
            }
            run(refresh, opened: opened)
        }
        assert(registered, "\(identifier) is missing from BGTaskSchedulerPermittedIdentifiers")
    }

    /// Asks iOS to run the task at `nextRunAt` (device seconds of `clock`) or later; `nil` cancels
    /// the request (no pass to renew).
    static func schedule(at nextRunAt: UInt64?, clock: DeviceClock) {
        guard let nextRunAt else {
            BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
            return
        }
        let now = clock.now()
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: TimeInterval(nextRunAt > now ? nextRunAt - now : 0))
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Simulators and devices with Background App Refresh off refuse: the app renews when opened.
        }
    }

    private static func run(_ task: BGAppRefreshTask,
                            opened: @escaping @MainActor () async -> (WalletHost, DeviceClock)?) {
        let completion = CompletionOnce(task)
        let work = Task {
            guard let wallet = await opened() else {
                completion.complete(success: false)
                return
            }
            let (host, clock) = wallet
            let run = await runBackgroundRenewal(host: host, clock: clock)
            schedule(at: run.nextRunAt, clock: clock)
            completion.complete(success: true)
        }
        task.expirationHandler = {
            // Out of time: the core keeps the pass in hand; try again in a quarter of an hour.
            work.cancel()
            let clock = ShiftedClock()
            schedule(at: clock.now() + 900, clock: clock)
            completion.complete(success: false)
        }
    }
}

/// Reports a task's end exactly once, whichever of the work and the expiration comes first.
private final class CompletionOnce: @unchecked Sendable {
    private let task: BGTask
    private let lock = NSLock()
    private var done = false

    init(_ task: BGTask) {
        self.task = task
    }

    func complete(success: Bool) {
        lock.lock()
        let first = !done
        done = true
        lock.unlock()
        if first { task.setTaskCompleted(success: success) }
    }
}
