// What the background renewal waits for, as plain data: the app maps it to WorkManager (Android).
// Two unique works follow the core's plan (Wallet.renewalPlan): one from `runAt` that waits for good
// conditions — an unmetered network and the phone charging — and one from `relaxAt`, the deadline,
// on any network. Whichever runs first renews; the other then finds nothing due. Charging rather
// than device idle: the issuer draws renew-after at night, when phones charge; a phone in use rarely
// reaches idle; and WorkManager refuses backoff criteria on idle work, which the worker needs.
package org.doorpass.passui

/** The network a queued renewal waits for. */
enum class RenewalNetwork {
    /** Wi-Fi or another network that is not billed by the byte. */
    UNMETERED,

    /** Any network. */
    CONNECTED,
}

/** What a queued renewal waits for before it runs. */
data class RenewalConstraints(
    /** The network it needs. */
    val network: RenewalNetwork,
    /** Whether the phone must be charging. */
    val requiresCharging: Boolean,
) {
    /** The two sets of conditions. */
    companion object {
        /** Before the deadline: an unmetered network and the phone charging. */
        val GOOD_CONDITIONS = RenewalConstraints(RenewalNetwork.UNMETERED, requiresCharging = true)

        /** From the deadline: any network, charging or not. */
        val ANY_NETWORK = RenewalConstraints(RenewalNetwork.CONNECTED, requiresCharging = false)
    }
}

/** The two background works, each queued under its own unique name. */
enum class RenewalWork(
    /** The unique work name (WorkManager) it is queued under. */
    val uniqueName: String,
) {
    /** The run on good conditions, from the plan's `runAt`. */
    ON_GOOD_CONDITIONS("doorpass-renewal"),

    /** The run on any network, from the plan's `relaxAt`. */
    DEADLINE("doorpass-renewal-deadline"),
}

/** One work to queue: which, from when (device seconds), and on what conditions. */
data class QueuedRenewal(
    /** Which work. */
    val work: RenewalWork,
    /** Not before (device seconds). */
    val runAt: ULong,
    /** What it waits for. */
    val constraints: RenewalConstraints,
)

/** What to queue after a run; a work that is `null` here is cancelled (nothing to wait for). */
data class RenewalQueue(
    /** The run on good conditions, when there is time to wait for them. */
    val onGoodConditions: QueuedRenewal?,
    /** The run on any network, whenever anything is planned. */
    val deadline: QueuedRenewal?,
) {
    /** The entry for [work]. */
    operator fun get(work: RenewalWork): QueuedRenewal? = when (work) {
        RenewalWork.ON_GOOD_CONDITIONS -> onGoodConditions
        RenewalWork.DEADLINE -> deadline
    }
}

/**
 * The works for a next run at [nextRunAt] with its deadline at [relaxAt] (device seconds): nothing
 * when [nextRunAt] is `null`; only the deadline work, at [nextRunAt], when there is no time to wait
 * ([relaxAt] not after it, or unknown); else both.
 */
fun renewalQueue(nextRunAt: ULong?, relaxAt: ULong?): RenewalQueue {
    if (nextRunAt == null) return RenewalQueue(null, null)
    val deadline = maxOf(nextRunAt, relaxAt ?: nextRunAt)
    val anyNetwork = QueuedRenewal(RenewalWork.DEADLINE, deadline, RenewalConstraints.ANY_NETWORK)
    if (deadline == nextRunAt) return RenewalQueue(null, anyNetwork)
    return RenewalQueue(QueuedRenewal(RenewalWork.ON_GOOD_CONDITIONS, nextRunAt, RenewalConstraints.GOOD_CONDITIONS), anyNetwork)
}
