// Dates, times and durations as the screens show them, in the device's time zone. Words come from
// the string table; only digits are formatted here.

import DoorpassCore
import Foundation

/// Formats Unix seconds in one time zone.
public final class TimeFormat: @unchecked Sendable {
    private let dateFormatter: DateFormatter
    private let timeFormatter: DateFormatter
    private let calendar: Calendar

    /// Formats in `timeZone` (the device's by default).
    public init(timeZone: TimeZone = .current) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        dateFormatter = TimeFormat.formatter("yyyy-MM-dd", timeZone)
        timeFormatter = TimeFormat.formatter("HH:mm", timeZone)
    }

    private static func formatter(_ pattern: String, _ timeZone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.dateFormat = pattern
        return formatter
    }

    /// `2026-12-27`.
    public func date(_ unixSeconds: UInt64) -> String {
        dateFormatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    /// The midnight that began the day of `unixSeconds`, in this time zone ("today" starts there).
    public func startOfDay(_ unixSeconds: UInt64) -> UInt64 {
        let start = calendar.startOfDay(for: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
        return UInt64(max(start.timeIntervalSince1970, 0))
    }

    /// `14:05`.
    public func time(_ unixSeconds: UInt64) -> String {
        timeFormatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }
}

/// The string key naming a pass kind (`nil`: a kind this app does not know).
public func kindKey(_ kind: PassKind?) -> String {
    switch kind {
    case .vaccination: return "kind_vaccination"
    case .recovery: return "kind_recovery"
    case .medicalExemption: return "kind_medical_exemption"
    case .negativeTest: return "kind_negative_test"
    case nil: return "kind_unknown"
    }
}

/// "3 h", "1 day", "2 days": an age in the largest whole unit, as a plural.
public func ageText(_ seconds: UInt64) -> UiText {
    if seconds < 3_600 { return .plural("age_minutes", count: Int(seconds / 60)) }
    if seconds < 172_800 { return .plural("age_hours", count: Int(seconds / 3_600)) }
    return .plural("age_days", count: Int(min(seconds / 86_400, UInt64(Int32.max))))
}
