// Issue 23, part 1, against the real core and real loopback issuers: the storage opened off the main
// actor behind a loading state; a cancelled enrolment never left on "sending"; the foreground
// renewal run when the trust list cannot be refreshed, with its banner; placeholders filled in one
// pass (a name holding "%2$s" is shown as typed); plurals in both languages.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

final class SturdyShellTests: XCTestCase {
    /// Waits (yielding, not sleeping a fixed time) until `done()` holds, for at most `seconds`.
    @MainActor
    private func waitUntil(_ what: String, seconds: Double = 10, _ done: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() {
            guard Date() < deadline else { throw ShellSetupError("waited \(seconds) s for \(what)") }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    @MainActor
    func testTheStorageOpensOffTheMainActorBehindALoadingStateAndARetryAfterAFailure() async throws {
        let issuer = try Shell.issuer()
        let anchor = try Shell.anchor()
        let parent = freshFolder(self, "launch")
        let home = (parent as NSString).appendingPathComponent("wallet")
        // A file where the wallet's parent folder should be: opening fails until it is removed.
        try FileManager.default.createDirectory(atPath: (parent as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: parent))
        let onMain = Recorder<Bool>()
        let launch = LaunchViewModel(open: { () throws -> WalletHost in
            onMain.append(Thread.isMainThread)
            return try WalletHost(home: home, anchor: anchor, secretStore: InMemorySecrets(), issuerUrl: issuer)
        }, ready: { host in PassViewModel(host: host, clock: ShiftedClock(), format: utc) })
        guard case .loading = launch.state else { return XCTFail("starts loading: \(launch.state)") }

        await launch.start()
        guard case let .failed(error) = launch.state else { return XCTFail("opened under a file: \(launch.state)") }
        XCTAssertTrue(error.text.key.hasPrefix("error_"), error.text.key)
        XCTAssertNil(launch.ready)

        try FileManager.default.removeItem(atPath: parent)
        await launch.start()
        let screen = try XCTUnwrap(launch.ready, "ready after the retry: \(launch.state)")
        screen.refresh()
        XCTAssertTrue(screen.state.needsEnrolment)
        XCTAssertEqual(onMain.values, [false, false], "both openings ran off the main thread")
        await launch.start()
        XCTAssertEqual(onMain.values.count, 2, "an open app is not opened again")

        // The host's own async opening, as the app and the QA panel use it, is off the main thread too.
        let host = try await WalletHost.open(home: freshFolder(self, "async"), anchor: anchor,
                                             secretStore: InMemorySecrets(), issuerUrl: issuer)
        XCTAssertEqual(host.wallet.passes(now: ShiftedClock().now()), [])
    }

    @MainActor
    func testCancellingWhileSendingEndsOnTheSubjectScreenAndALateAnswerIsDropped() async throws {
        // The slow issuer takes 3 s over every issuance call.
        let slow = try Shell.slowIssuer()
        let host = try freshHost(self, slow)
        let enrol = EnrolViewModel(host: host, clock: ShiftedClock(), format: utc)
        let sending = Task { await enrol.submitSubject("demo-lee") }
        try await waitUntil("sending") { enrol.step == .sending(subject: "demo-lee") }
        sending.cancel()
        await enrol.cancel()
        XCTAssertEqual(enrol.step, .enterSubject(error: nil), "the subject screen at once")
        await sending.value
        XCTAssertEqual(enrol.step, .enterSubject(error: nil), "the late answer did not bring back the code screen")
        XCTAssertEqual(host.wallet.state(), .notEnrolled, "and the code it sent was given up in the wallet")

        // A task cancelled without the screen's cancel ends in a defined step, never "sending": the
        // call's own answer (uniffi 0.32 runs the call to its end), or the subject screen again if
        // the call ever throws CancellationError.
        let again = Task { await enrol.submitSubject("demo-lee") }
        try await waitUntil("sending again") { enrol.step == .sending(subject: "demo-lee") }
        again.cancel()
        await again.value
        switch enrol.step {
        case let .enterCode(entry): XCTAssertEqual(entry.subject, "demo-lee")
        case .enterSubject(error: nil): break
        default: XCTFail("after a cancelled task: \(enrol.step)")
        }
        await enrol.cancel()
        XCTAssertEqual(enrol.step, .enterSubject(error: nil))
    }

    @MainActor
    func testTheForegroundRenewalRunsWhenTheTrustListCannotBeRefreshedAndABannerSaysSo() async throws {
        let forwarder = try LoopbackForwarder(upstream: try Shell.issuer())
        addTeardownBlock { forwarder.stop() }
        let clock = ShiftedClock()
        let host = try freshHost(self, forwarder.url)
        _ = try await enrolThroughScreens(host, clock, forwarder.url, "demo-park")
        let before = try XCTUnwrap(host.wallet.passes(now: clock.now()).first)
        clock.offsetSeconds = Int64(before.renewAfter) - Int64(clock.now()) + 5
        forwarder.failsTrustList = true

        let screen = PassViewModel(host: host, clock: clock, format: utc)
        let result = await screen.renewQuietly()
        XCTAssertGreaterThan(forwarder.refusedTrustListRequests, 0, "the trust list was asked for and refused")
        XCTAssertEqual(result.renewed, 1, "the due pass was renewed all the same")
        XCTAssertTrue(screen.state.trustListRefreshFailed)
        XCTAssertFalse(screen.state.offline, "a busy issuer is not 'offline'")
        XCTAssertEqual(screen.state.banner, UiText("banner_trust_list_refresh_failed"))
        XCTAssertEqual(screen.state.cards.map(\.state), [.active])
        for table in [try Shell.english(), try Shell.korean()] {
            XCTAssertFalse(table.text(UiText("banner_trust_list_refresh_failed")).isEmpty)
        }

        forwarder.failsTrustList = false
        await screen.renewQuietly()
        XCTAssertFalse(screen.state.trustListRefreshFailed)
        XCTAssertNil(screen.state.banner, "the banner goes with the next good refresh")
    }

    @MainActor
    func testAReplacedWalletIsClosedAndTheNewHandleReadsWhatTheOldOneWrote() async throws {
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        let passId = try await enrolThroughScreens(host, clock, issuer, "demo-choi")
        let replaced = host.wallet
        try await host.reopen()
        XCTAssertFalse(host.wallet === replaced, "a new handle")
        XCTAssertEqual(host.wallet.passes(now: clock.now()).map(\.id), [passId], "it reads what the old one wrote")
        do {
            _ = try await replaced.renewIfDue(now: clock.now())
            XCTFail("the replaced handle still works: it was not closed")
        } catch {
            guard case .InUse = error as? DoorpassError else { return XCTFail("the closed handle said \(error)") }
        }
        // QA's issuer switch closes the handle it replaces too.
        let beforeSwitch = host.wallet
        try await host.switchIssuer(try Shell.downIssuer())
        XCTAssertEqual(host.issuerUrl, try Shell.downIssuer())
        do {
            _ = try await beforeSwitch.renewIfDue(now: clock.now())
            XCTFail("the handle replaced by the switch still works")
        } catch {
            guard case .InUse = error as? DoorpassError else { return XCTFail("the closed handle said \(error)") }
        }
    }

    func testPlaceholdersAreFilledInOnePassSoANameIsShownAsTyped() throws {
        for name in ["A %2$s B", "%1$s %@ %3$s", "50% off %"] {
            let label = UiText("a11y_pass_code", name, UiText(kindKey(.vaccination)), "2027-01-15")
            let english = try Shell.english().text(label)
            XCTAssertEqual(english,
                           "QR code of \(name)'s vaccination pass, valid until 2027-01-15. Show it to the door staff.")
            let korean = try Shell.korean().text(label)
            XCTAssertTrue(korean.contains(name) && korean.contains("2027-01-15") && korean.contains("예방접종"), korean)
            XCTAssertEqual(korean.components(separatedBy: "2027-01-15").count, 2, "the date once: \(korean)")
        }
        XCTAssertEqual(fillPlaceholders("%2$s and %1$s, %3$s %", ["%2$s", "x"]), "x and %2$s, %3$s %")
        XCTAssertEqual(fillPlaceholders("%1$@ then %10$s", ["first"]), "first then %10$s")
    }

    func testTheQrLayoutGuardsAZeroSizeAndKeepsWholePixelModules() {
        // Before layout a canvas can be 0 × 0 (or NaN): nothing is drawn, nothing divides by zero.
        for (width, height) in [(0.0, 300.0), (300.0, 0.0), (-1.0, 300.0), (Double.nan, 300.0)] {
            XCTAssertNil(qrLayout(size: 25, quietZone: 4, moduleCount: 625, width: width, height: height,
                                  displayScale: 3), "\(width) × \(height)")
        }
        XCTAssertNil(qrLayout(size: 0, quietZone: 0, moduleCount: 0, width: 300, height: 300, displayScale: 3))
        XCTAssertNil(qrLayout(size: 25, quietZone: 4, moduleCount: 624, width: 300, height: 300, displayScale: 3))
        XCTAssertNil(qrLayout(size: 25, quietZone: 4, moduleCount: 625, width: 10, height: 10, displayScale: 1),
                     "less than a pixel per module")
        let layout = qrLayout(size: 25, quietZone: 4, moduleCount: 625, width: 390, height: 500, displayScale: 3)
        // 33 modules (25 + 2 × 4) across 390 pt at 3 px/pt: 35 whole pixels each, centred.
        XCTAssertEqual(layout?.module, 35.0 / 3)
        XCTAssertEqual(layout?.side, 35.0 / 3 * 33)
        XCTAssertEqual(layout?.originX ?? -1, (390 - 35.0 * 11) / 2, accuracy: 1e-9)
        XCTAssertEqual(layout?.originY ?? -1, (500 - 35.0 * 11) / 2, accuracy: 1e-9)
    }

    func testPluralsHaveTheirFormsInEnglishAndKorean() throws {
        let english = try Shell.english()
        let korean = try Shell.korean()
        XCTAssertEqual(Set(english.plurals.keys), Set(korean.plurals.keys), "the same plurals in both")
        for key in english.plurals.keys {
            XCTAssertNotNil(english.plurals[key]?["one"], "\(key) has an English singular")
            for count in [0, 1, 2, 214] {
                let en = english.text(.plural(key, count: count))
                let ko = korean.text(.plural(key, count: count))
                XCTAssertTrue(en.contains(String(count)) && ko.contains(String(count)), "\(key): \(en) / \(ko)")
                XCTAssertFalse((en + ko).contains("%"), "\(key): \(en) / \(ko)")
                XCTAssertNotEqual(en, ko, key)
            }
        }
        XCTAssertEqual(english.text(.plural("age_days", count: 1)), "1 day")
        XCTAssertEqual(english.text(ageText(3 * 86_400)), "3 days")
        XCTAssertEqual(korean.text(ageText(3 * 86_400)), "3일")
        XCTAssertEqual(english.text(UiText("trust_list_age", ageText(7_200))), "Trust list 2 h old")
    }
}

/// Values appended from any thread, read after.
final class Recorder<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Value] = []

    func append(_ value: Value) { lock.lock(); defer { lock.unlock() }; recorded.append(value) }
    var values: [Value] { lock.lock(); defer { lock.unlock() }; return recorded }
}
