// Background renewal on iOS, following the core's plan (Wallet.renewalPlan) as the view models map
// it (BackgroundRenewalRequests): a BGProcessingTask ("org.doorpass.renewal.processing") from the
// plan's runAt that requires external power and a network, and a BGAppRefreshTask
// ("org.doorpass.renewal") from its relaxAt, the deadline; near expiry only the latter. Both
// identifiers are in Info.plist's BGTaskSchedulerPermittedIdentifiers. Either task runs the view
// models' `runBackgroundRenewal` and submits both requests again from a fresh plan; whichever runs
// first renews, the other finds nothing due. iOS decides when they actually run; a pass in hand
// keeps working whether they run or not. This file only maps plain values to BGTaskScheduler.

import BackgroundTasks
import DoorpassViewModels
import Foundation

/// Registers, runs and schedules the renewal tasks.
enum BackgroundRenewalTask {
    /// Registers both tasks' handler; call once, before the app finishes launching. `opened` opens
    /// the wallet (off the main actor, or waits for the opening under way) and gives its host and
    /// clock, or `nil` when the storage cannot be opened.
    static func register(opened: @escaping @MainActor () async -> (WalletHost, DeviceClock)?) {
        for identifier in BackgroundRenewalTaskID.all {
            let registered = BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
                run(task, opened: opened)
            }
            assert(registered, "\(identifier) is missing from BGTaskSchedulerPermittedIdentifiers")
        }
    }

    /// Submits `requests` (device seconds of `clock`), replacing what was pending under the same
    /// identifiers, and cancels the task `requests` leaves out.
    static func submit(_ requests: BackgroundRenewalRequests, clock: DeviceClock) {
        let now = clock.now()
        let date = Date()
        for identifier in requests.cancelled {
            BGTaskScheduler.shared.cancel(taskRequestWithIdentifier: identifier)
        }
        for wanted in requests.submitted {
            let request: BGTaskRequest
            switch wanted.kind {
            case .processing:
                let processing = BGProcessingTaskRequest(identifier: wanted.identifier)
                processing.requiresExternalPower = wanted.requiresExternalPower
                processing.requiresNetworkConnectivity = wanted.requiresNetworkConnectivity
                request = processing
            case .appRefresh:
                request = BGAppRefreshTaskRequest(identifier: wanted.identifier)
            }
            request.earliestBeginDate = wanted.earliestBeginDate(now: now, at: date)
            do {
                try BGTaskScheduler.shared.submit(request)
            } catch {
                // Simulators and devices with Background App Refresh off refuse: the app renews when opened.
            }
        }
    }

    private static func run(_ task: BGTask,
                            opened: @escaping @MainActor () async -> (WalletHost, DeviceClock)?) {
        let completion = CompletionOnce(task)
        let work = Task {
            guard let wallet = await opened() else {
                completion.complete(success: false)
                return
            }
            let (host, clock) = wallet
            let run = await runBackgroundRenewal(host: host, clock: clock)
            if Task.isCancelled { return } // The expiration handler has submitted the retry.
            submit(run.requests(), clock: clock)
            completion.complete(success: true)
        }
        task.expirationHandler = {
            // Out of time: the core keeps the pass in hand; try again in a quarter of an hour on any
            // conditions, and plan both tasks afresh then.
            work.cancel()
            let clock = ShiftedClock()
            submit(BackgroundRun(renewed: 0, nextRunAt: clock.now() + 900).requests(), clock: clock)
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
