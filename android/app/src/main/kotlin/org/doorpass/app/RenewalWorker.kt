// Background renewal with WorkManager: one unique one-time job that runs when the network is there,
// no earlier than the time the core asked for, renews what is due (runBackgroundRenewal) and queues
// the next run the same way.
package org.doorpass.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.doorpass.passui.runBackgroundRenewal

/** Renews the passes that are due while the app is closed, then queues its own next run. */
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
        // Replacing the unique work from inside it would cancel this very run: append after it.
        schedule(applicationContext, run.nextRunAt, app.clock.now(), ExistingWorkPolicy.APPEND_OR_REPLACE)
        return Result.success()
    }

    /** Queuing the next run. */
    companion object {
        /** The one name the job is queued under, so there is never more than one waiting. */
        private const val UNIQUE_WORK_NAME = "doorpass-renewal"

        /**
         * Queues the next run at [nextRunAt] (device seconds from the same clock as [now]) on any
         * network; nothing when [nextRunAt] is `null` (no pass to renew). The app replaces what was
         * queued ([ExistingWorkPolicy.REPLACE]); the worker appends its successor.
         */
        fun schedule(
            context: Context,
            nextRunAt: ULong?,
            now: ULong,
            policy: ExistingWorkPolicy = ExistingWorkPolicy.REPLACE,
        ) {
            if (nextRunAt == null) return
            val delaySeconds = if (nextRunAt > now) (nextRunAt - now).toLong() else 0L
            val request = OneTimeWorkRequestBuilder<RenewalWorker>()
                .setInitialDelay(delaySeconds, TimeUnit.SECONDS)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, BACKOFF_MINUTES, TimeUnit.MINUTES)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(UNIQUE_WORK_NAME, policy, request)
        }

        /** First wait after a run that could not open the wallet. */
        private const val BACKOFF_MINUTES = 15L
    }
}
