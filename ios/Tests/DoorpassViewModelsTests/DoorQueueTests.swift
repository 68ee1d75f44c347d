// Door mode for a queue (issue 23, part 2), against the real core: fifty mixed codes scanned back to
// back through the door view model give the right verdicts in order, the scanner is ready for the
// next code within a second of each verdict with no tap (on a scheduler the test steps, not
// sleeps), and today's summary from the door's check log counts them. Also the minimal display, the
// identity on tap (never in kiosk mode), the VoiceOver announcements and the CSV export.
//
// The codes: the shared vectors' valid, screenshot-old (a step 120 s old) and revoked codes, judged
// at the vectors' times against their trust and status lists — revoking a pass of a running test
// issuer needs its database, out of reach of the Swift test root — and, as foreign codes, the
// vectors' unknown issuer plus live codes of the real loopback issuer, whose key the vectors' trust
// list does not hold.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

/// A scheduler the test steps by hand: actions run, in time order, when `advance(by:)` passes them.
final class ManualScheduler: DoorScheduler, @unchecked Sendable {
    private struct Entry {
        let at: Double
        let order: Int
        let action: @MainActor () -> Void
        let cancelled: Recorder<Bool>
    }

    private let lock = NSLock()
    private var now = 0.0
    private var order = 0
    private var queue: [Entry] = []

    func schedule(after seconds: Double, _ action: @escaping @MainActor () -> Void) -> ScheduledAction {
        let cancelled = Recorder<Bool>()
        lock.lock()
        order += 1
        queue.append(Entry(at: now + seconds, order: order, action: action, cancelled: cancelled))
        lock.unlock()
        return ScheduledAction { cancelled.append(true) }
    }

    /// Moves time on by `seconds`, running what falls due on the way (not what was called off).
    @MainActor
    func advance(by seconds: Double) {
        let until = locked { now + seconds }
        while let next = takeNext(until) {
            if next.cancelled.values.isEmpty { next.action() }
        }
        locked { now = until }
    }

    private func takeNext(_ until: Double) -> Entry? {
        locked {
            guard let next = queue.filter({ $0.at <= until }).min(by: { ($0.at, $0.order) < ($1.at, $1.order) }) else {
                return nil
            }
            queue.removeAll { $0.order == next.order }
            now = next.at
            return next
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body()
    }
}

/// A clock the test sets.
final class SetClock: DeviceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64
    init(_ at: UInt64) { value = at }
    var at: UInt64 {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); defer { lock.unlock() }; value = newValue }
    }
    func now() -> UInt64 { at }
}

final class DoorQueueTests: XCTestCase {
    private struct Vector {
        let qr: String
        let at: UInt64
    }

    private func vectors() throws -> [String: Vector] {
        let data = try Data(contentsOf: try Shell.vectors().appendingPathComponent("cases.json"))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(manifest["cases"] as? [[String: Any]])
        var found: [String: Vector] = [:]
        for item in cases {
            guard let name = item["name"] as? String, let qr = item["qr_text"] as? String,
                  let at = (item["at"] as? NSNumber)?.uint64Value else { continue }
            found[name] = Vector(qr: qr, at: at)
        }
        return found
    }

    /// A door pinned to the vectors' anchor, with their trust and status lists, at `clock`.
    @MainActor
    private func vectorsDoor(_ clock: SetClock, _ scheduler: DoorScheduler) throws -> VerifyViewModel {
        let folder = try Shell.vectors()
        let pem = try String(contentsOf: folder.appendingPathComponent("anchor.pub.pem"), encoding: .utf8)
        let door = try DoorVerifier.open(dir: freshFolder(self, "queue"), anchor: .pem(text: pem),
                                         config: DoorConfig(issuerUrl: nil, allowStaticCodes: false,
                                                            clockToleranceSeconds: 60))
        _ = try door.updateTrustList(list: try Data(contentsOf: folder.appendingPathComponent("trust-list.cose")),
                                     now: clock.at)
        _ = try door.updateStatusList(list: try Data(contentsOf: folder.appendingPathComponent("status-list.cose")),
                                      now: clock.at)
        return VerifyViewModel(door: door, clock: clock, format: utc, scheduler: scheduler)
    }

    private enum Expected: Equatable {
        case admitted
        case refused(String)
    }

    @MainActor
    func testFiftyMixedCodesBackToBackGiveTheRightVerdictsInOrderAndTheSummaryCountsThem() async throws {
        let all = try vectors()
        func vector(_ name: String) throws -> Vector { try XCTUnwrap(all[name], name) }
        // Foreign: live codes of the real issuer (three steps of one pass) and the vectors' own.
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        _ = try await enrolThroughScreens(host, clock, issuer, "ui-sw-4")
        let live = try [-30, 0, 30].map { shift in
            try host.wallet.currentQr(passId: nil, now: UInt64(Int64(clock.now()) + Int64(shift)), staticCode: false).text
        }
        XCTAssertEqual(Set(live).count, 3, "three steps, three codes")
        let base = try vector("valid_rotating").at
        // The screenshot and the code checked within the clock tolerance are the first valid code
        // shown later: the same text, so never right next to it (the camera would take it for the
        // code still on screen).
        let cycle: [(String, UInt64, Expected)] = [
            (try vector("valid_rotating").qr, base, .admitted),
            (try vector("valid_not_revoked_in_status_list").qr, base, .admitted),
            (try vector("stale_step_screenshot").qr, try vector("stale_step_screenshot").at, .refused("refusal_stale_code")),
            (try vector("revoked_in_status_list").qr, base, .refused("refusal_revoked")),
            (live[0], base, .refused("refusal_unknown_issuer")),
            (try vector("clock_skew_within_tolerance").qr, try vector("clock_skew_within_tolerance").at, .admitted),
            (try vector("unknown_issuer").qr, base, .refused("refusal_unknown_issuer")),
            (try vector("valid_rotating_20_byte_name").qr, base, .admitted),
            (live[1], base, .refused("refusal_unknown_issuer")),
            (try vector("p256_valid_rotating").qr, base, .admitted),
        ]
        let queue = (0..<5).flatMap { _ in cycle }
        XCTAssertEqual(queue.count, 50)
        for index in queue.indices.dropFirst() {
            XCTAssertNotEqual(queue[index].0, queue[index - 1].0, "#\(index) differs from the code before it")
        }

        let doorClock = SetClock(base)
        let scheduler = ManualScheduler()
        let door = try vectorsDoor(doorClock, scheduler)
        XCTAssertEqual(door.state.todayCounts?.checked, 0)
        var signals: [DoorSignal] = []
        for (index, (code, at, expected)) in queue.enumerated() {
            doorClock.at = at
            XCTAssertTrue(door.state.readyForNextCode, "#\(index): ready with no tap")
            XCTAssertTrue(door.scan(code), "#\(index) was checked")
            switch (door.state.result, expected) {
            case let (.valid(verdict), .admitted):
                XCTAssertNotEqual(verdict.signal, .refused, "#\(index)")
                signals.append(verdict.signal)
            case let (.refused(reason), .refused(key)):
                XCTAssertEqual(reason, UiText(key), "#\(index)")
                XCTAssertEqual(door.state.result.signal, .refused)
                signals.append(.refused)
            default:
                XCTFail("#\(index): expected \(expected), the door said \(door.state.result)")
            }
            // The camera sees the code again at once: it is not checked twice, nor is the next one
            // during the scanner's rest.
            XCTAssertFalse(door.scan(code), "#\(index): the code still in front of the camera")
            XCTAssertFalse(door.state.readyForNextCode)
            scheduler.advance(by: 0.5)
            XCTAssertFalse(door.scan(queue[(index + 1) % queue.count].0), "#\(index): still resting")
            scheduler.advance(by: 0.5)
            XCTAssertTrue(door.state.readyForNextCode, "#\(index): ready within a second")
            XCTAssertNotEqual(door.state.result, .idle, "the verdict stays on screen meanwhile")
        }

        let counts = try XCTUnwrap(door.state.todayCounts)
        XCTAssertEqual(counts.checked, 50)
        XCTAssertEqual(counts.refused, 25)
        XCTAssertEqual(counts.valid + counts.checkId, 25)
        XCTAssertEqual(counts.valid, UInt64(signals.filter { $0 == .valid }.count))
        XCTAssertEqual(counts.checkId, UInt64(signals.filter { $0 == .checkId }.count))
        XCTAssertNotNil(counts.trustListAgeSeconds)
        let summary = try XCTUnwrap(door.state.todaySummary)
        XCTAssertEqual(summary, todaySummaryText(counts))
        let english = try Shell.english().text(summary)
        XCTAssertTrue(english.hasPrefix("Today: 50 checked, 25 refused; lists "), english)
        XCTAssertTrue(try Shell.korean().text(summary).contains("50"))

        // The verdict leaves the screen on its own; the same code may then be checked again.
        scheduler.advance(by: VerifyViewModel.verdictShownSeconds)
        XCTAssertEqual(door.state.result, .idle)
        guard case let .success(export) = door.exportCheckLog() else { return XCTFail("no CSV") }
        XCTAssertEqual(export.fileName, "doorpass-check-log-\(utc.date(doorClock.at)).csv")
        let lines = export.csv.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, "a header and a bucket: \(export.csv)")
        XCTAssertFalse(export.csv.contains("UI Tester") || export.csv.contains(live[0]), "no names, no codes")
    }

    @MainActor
    func testAValidPassShowsInitialsAndBirthdayByDefaultAndTheFullIdentityOnTapButNeverInKioskMode() async throws {
        let valid = try XCTUnwrap(try vectors()["valid_rotating"])
        let clock = SetClock(valid.at)
        let scheduler = ManualScheduler()
        let door = try vectorsDoor(clock, scheduler)
        door.scan(valid.qr)
        guard case let .valid(verdict) = door.state.result else { return XCTFail("\(door.state.result)") }
        XCTAssertFalse(door.state.identityShown)
        XCTAssertFalse(verdict.initials.isEmpty)
        XCTAssertFalse(verdict.holderName.hasPrefix(verdict.initials), "initials, not the name")
        door.toggleIdentity()
        XCTAssertTrue(door.state.identityShown, "the full name and birth date on tap")
        let english = try Shell.english()
        let korean = try Shell.korean()
        let announcement = try XCTUnwrap(door.state.result.announcement)
        XCTAssertEqual(announcement, UiText(verdict.signal == .checkId ? "door_a11y_check_id" : "door_a11y_valid"))
        for table in [english, korean] {
            XCTAssertFalse(table.text(announcement).contains(verdict.holderName), "VoiceOver never says the name")
            XCTAssertFalse(table.text(verdict.birthday).contains("%"))
        }
        scheduler.advance(by: 1)
        door.setKiosk(true)
        XCTAssertFalse(door.state.identityShown, "kiosk hides what was shown")
        door.clear()
        door.scan(valid.qr)
        door.toggleIdentity()
        XCTAssertFalse(door.state.identityShown, "never on tap in kiosk mode")

        // Every new door text exists in both languages.
        let texts: [UiText] = [
            UiText("door_a11y_valid"), UiText("door_a11y_check_id"),
            UiText("door_a11y_refused", UiText("refusal_revoked")),
            birthdayText(month: 3, day: 14), birthdayText(month: nil, day: nil),
            UiText("door_check_id"), UiText("door_show_full"), UiText("door_hide_full"), UiText("door_export_csv"),
            UiText("door_export_title"), UiText("door_kiosk_mode"), UiText("door_kiosk_mode_help"),
            UiText("door_scanner_ready"), UiText("loading"),
            todaySummaryText(CheckLogSummary(since: 0, checked: 1, valid: 1, checkId: 0, refused: 0,
                                             trustListAgeSeconds: nil, statusListAgeSeconds: nil)),
        ]
        for text in texts {
            let en = english.text(text)
            let ko = korean.text(text)
            XCTAssertFalse(en.isEmpty || ko.isEmpty || (en + ko).contains("%"), "\(text.key): \(en) / \(ko)")
            XCTAssertNotEqual(en, ko, text.key)
        }
        XCTAssertEqual(english.text(todaySummaryText(CheckLogSummary(
            since: 0, checked: 214, valid: 200, checkId: 11, refused: 3, trustListAgeSeconds: 7_200,
            statusListAgeSeconds: 600))), "Today: 214 checked, 3 refused; lists 2 h old")
        XCTAssertEqual(english.text(todaySummaryText(CheckLogSummary(
            since: 0, checked: 1, valid: 1, checkId: 0, refused: 1, trustListAgeSeconds: nil,
            statusListAgeSeconds: nil))), "Today: 1 checked, 1 refused")
    }
}
