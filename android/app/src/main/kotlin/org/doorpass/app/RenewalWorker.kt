// Background renewal with WorkManager: two unique one-time works follow the core's plan
// (passui's RenewalQueue). One runs from the plan's `runAt` on good conditions (an unmetered network
// and the phone charging); the other from `relaxAt`, the deadline, on any network. Each renews what
// is due (runBackgroundRenewal) and queues both again; whichever runs first renews, the other finds
// nothing due. This file only maps passui's plain data to WorkManager.
package org.doorpass.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequest
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.doorpass.passui.QueuedRenewal
import org.doorpass.passui.RenewalConstraints
import org.doorpass.passui.RenewalNetwork
import org.doorpass.passui.RenewalQueue
import org.doorpass.passui.RenewalWork
import org.doorpass.passui.runBackgroundRenewal

/** Renews the passes that are due while the app is closed, then queues the next runs. */
class RenewalWorker(context: Context, parameters: WorkerParameters) : CoroutineWorker(context, parameters) {

    /** One background run. */
    override suspend fun doWork(): Result {
        val app = applicationContext as DoorpassApplication
        val host = try {
            app.walletHost
        } catch (e: Exception) {
            // The wallet cannot be opened now (storage, Keystore locked, or anything else the core
            // or JNA throws): WorkManager's backoff. (A cancellation of this worker is rethrown.)
            if (e is kotlin.coroutines.cancellation.CancellationException) throw e
            return Result.retry()
        }
        val run = runBackgroundRenewal(host, app.clock)
        // The work this run was queued as (its tag): its successor is appended, not replaced.
        val running = RenewalWork.entries.firstOrNull { it.uniqueName in tags }
        schedule(applicationContext, run.queue(), app.clock.now(), running)
        return Result.success()
    }

    /** Queuing the next runs. */
    companion object {
        /**
         * Queues [queue]'s works (device seconds from the same clock as [now]) under their unique
         * names, replacing what was queued; a work the queue leaves out is cancelled. The work that
         * is [running] (a worker queuing its successors) is appended after instead: replacing it
         * from inside would cancel this very run.
         */
        fun schedule(context: Context, queue: RenewalQueue, now: ULong, running: RenewalWork? = null) {
            val manager = WorkManager.getInstance(context)
            for (work in RenewalWork.entries) {
                val queued = queue[work]
                when {
                    queued != null -> {
                        val policy = if (work == running) ExistingWorkPolicy.APPEND_OR_REPLACE else ExistingWorkPolicy.REPLACE
                        manager.enqueueUniqueWork(work.uniqueName, policy, request(queued, now))
                    }
                    // Nothing to wait for; the running work ends by itself, with no successor.
                    work != running -> manager.cancelUniqueWork(work.uniqueName)
                }
            }
        }

        /** One work: not before its time, on its conditions, tagged with its unique name. */
        private fun request(queued: QueuedRenewal, now: ULong): OneTimeWorkRequest {
            val delaySeconds = if (queued.runAt > now) (queued.runAt - now).toLong() else 0L
            return OneTimeWorkRequestBuilder<RenewalWorker>()
                .setInitialDelay(delaySeconds, TimeUnit.SECONDS)
                .setConstraints(constraints(queued.constraints))
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, BACKOFF_MINUTES, TimeUnit.MINUTES)
                .addTag(queued.work.uniqueName)
                .build()
        }

        /** passui's conditions as WorkManager's. */
        private fun constraints(wanted: RenewalConstraints): Constraints = Constraints.Builder()
            .setRequiredNetworkType(
                when (wanted.network) {
                    RenewalNetwork.UNMETERED -> NetworkType.UNMETERED
                    RenewalNetwork.CONNECTED -> NetworkType.CONNECTED
                },
            )
            .setRequiresCharging(wanted.requiresCharging)
            .build()

        /** First wait after a run that could not open the wallet. */
        private const val BACKOFF_MINUTES = 15L
    }
}
