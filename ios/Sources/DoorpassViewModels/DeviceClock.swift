// The time the view models give the core: the device clock, plus the offset QA may set to test
// renewals and expiry without waiting. The core corrects it with the issuer's time itself.

import Foundation

/// Device time in Unix seconds, as the core expects it.
public protocol DeviceClock: AnyObject, Sendable {
    /// Now, Unix seconds.
    func now() -> UInt64
}

/// The system clock shifted by `offsetSeconds` (0 outside the QA panel).
public final class ShiftedClock: DeviceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: Int64

    /// The system clock, shifted by `offsetSeconds`.
    public init(offsetSeconds: Int64 = 0) {
        offset = offsetSeconds
    }

    /// Seconds added to the system clock (negative: back in time).
    public var offsetSeconds: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return offset }
        set { lock.lock(); defer { lock.unlock() }; offset = newValue }
    }

    /// Now, Unix seconds, shifted; never before 1970.
    public func now() -> UInt64 {
        let shifted = Int64(Date().timeIntervalSince1970.rounded(.down)) + offsetSeconds
        return UInt64(max(shifted, 0))
    }
}
