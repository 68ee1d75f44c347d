// The device's clock since boot for the core: clock_gettime(CLOCK_MONOTONIC), which on Darwin counts
// sleep and nobody can set, with the boot session's UUID, so the wallet keeps codes on the true time
// when someone sets the phone's clock ahead or back (docs/mobile.md).

import DoorpassCore
import Foundation
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#endif

/// The iOS boot clock: `clock_gettime(CLOCK_MONOTONIC)` and `kern.bootsessionuuid`. (Built on Linux
/// for the tests, where it reads the kernel's boot id.)
public final class MonotonicBootClock: BootClock, @unchecked Sendable {
    /// The boot is the same for the life of this process: named once.
    private let bootId = MonotonicBootClock.currentBootId()

    /// The system's boot clock.
    public init() {}

    /// Milliseconds since boot, counting sleep, and the boot's id.
    public func read() -> BootClockReading {
        var now = timespec()
        guard clock_gettime(CLOCK_MONOTONIC, &now) == 0 else {
            return BootClockReading(elapsedMillis: 0, bootId: bootId)
        }
        let millis = UInt64(max(Int64(now.tv_sec), 0)) * 1000 + UInt64(max(Int64(now.tv_nsec), 0)) / 1_000_000
        return BootClockReading(elapsedMillis: millis, bootId: bootId)
    }

    private static func currentBootId() -> String {
        #if canImport(Darwin)
        var bytes = [UInt8](repeating: 0, count: 64)
        var size = bytes.count
        guard sysctlbyname("kern.bootsessionuuid", &bytes, &size, nil, 0) == 0, size <= bytes.count else {
            return ""
        }
        return String(decoding: bytes.prefix(size).prefix { $0 != 0 }, as: UTF8.self)
        #else
        let id = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
        return id?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #endif
    }
}
