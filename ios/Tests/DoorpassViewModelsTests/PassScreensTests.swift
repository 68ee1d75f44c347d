// The pass and enrolment view models against the real core and real loopback issuers: first launch
// to a pass on screen, the same pass offline after a relaunch, a quiet renewal, and an expired pass
// taken through re-authentication without losing the one in hand.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

final class PassScreensTests: XCTestCase {
    @MainActor
    func testFirstLaunchEnrolsAndShowsThePassThenShowsItOfflineAfterARelaunch() async throws {
        let issuer = try Shell.stoppableIssuer()
        let home = freshFolder(self, "home")
        let secrets = InMemorySecrets()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer, secrets: secrets, home: home)
        let screen = PassViewModel(host: host, clock: clock, format: utc)
        screen.refresh()
        XCTAssertTrue(screen.state.needsEnrolment, "first launch: no pass yet")

        let passId = try await enrolThroughScreens(host, clock, issuer, "ui-sw-1")
        screen.refresh()
        XCTAssertEqual(screen.state.cards.count, 1)
        let card = try XCTUnwrap(screen.state.cards.first)
        XCTAssertEqual(card.passId, passId)
        XCTAssertEqual(card.holderName, "UI Tester 1")
        let qr = try XCTUnwrap(card.qr)
        XCTAssertEqual(Int(qr.size) * Int(qr.size), qr.modules.count)
        XCTAssertTrue((1...30).contains(card.secondsUntilRotation), "countdown \(card.secondsUntilRotation)")
        for table in [try Shell.english(), try Shell.korean()] {
            let label = table.text(card.accessibilityLabel)
            XCTAssertTrue(label.contains("UI Tester 1") && !label.contains("%"), label)
        }

        // The app is closed and the issuer stops; the app is launched again.
        try Shell.stopStoppableIssuer()
        let relaunched = try freshHost(self, issuer, secrets: secrets, home: home)
        let offline = PassViewModel(host: relaunched, clock: clock, format: utc)
        offline.refresh()
        XCTAssertEqual(offline.state.cards.map(\.passId), [card.passId])
        XCTAssertNotNil(offline.state.cards.first?.qr, "the code still renders")
        let countdown = offline.state.cards.first?.secondsUntilRotation ?? 0
        XCTAssertTrue((1...30).contains(countdown), "and counts down: \(countdown)")
        await offline.renewQuietly()
        XCTAssertTrue(offline.state.offline, "offline badge")
        XCTAssertNil(offline.state.banner, "nothing blocks the holder")
        XCTAssertEqual(offline.state.cards.first?.state, .active)

        // And the door, offline too, accepts that code (its list came from a running issuer).
        let door = try await doorScreen(self, try Shell.issuer(), clock)
        door.verify(try XCTUnwrap(offline.state.cards.first?.qr).text)
        guard case let .valid(verdict) = door.state.result else {
            return XCTFail("the door said \(door.state.result)")
        }
        XCTAssertEqual(verdict.holderName, "UI Tester 1")
        XCTAssertEqual(verdict.birthDate, "1990-01-01")
        // By default the door shows only the initials and the birth day and month.
        XCTAssertFalse(door.state.identityShown)
        XCTAssertFalse(verdict.initials.isEmpty || verdict.initials.contains("Tester"), verdict.initials)
        XCTAssertEqual(verdict.birthday, UiText("door_birthday", "1", "1"))
    }

    @MainActor
    func testAPassDueForRenewalIsRenewedQuietly() async throws {
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        _ = try await enrolThroughScreens(host, clock, issuer, "ui-sw-2")
        let before = try XCTUnwrap(host.wallet.passes(now: clock.now()).first)
        let at = clock.now()
        let codeBefore = try host.wallet.currentQr(passId: nil, now: at, staticCode: false).text
        // QA's clock offset: just past renew-after.
        clock.offsetSeconds = Int64(before.renewAfter) - Int64(clock.now()) + 5
        let screen = PassViewModel(host: host, clock: clock, format: utc)
        screen.refresh()
        XCTAssertEqual(screen.state.cards.map(\.state), [.renewDue])
        let result = await screen.renewQuietly()
        XCTAssertEqual(result.renewed, 1)
        XCTAssertFalse(screen.state.offline)
        XCTAssertNil(screen.state.banner)
        let after = host.wallet.passes(now: clock.now())
        XCTAssertEqual(after.map(\.id), [before.id], "same pass slot")
        // The same instant's code differs only if the pass in it does (signatures are deterministic).
        XCTAssertNotEqual(codeBefore, try host.wallet.currentQr(passId: nil, now: at, staticCode: false).text,
                          "a new pass")
    }

    @MainActor
    func testAnExpiredPassGoesThroughReauthenticationAndIsKeptUntilThen() async throws {
        let short = try Shell.shortIssuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, short)
        let passId = try await enrolThroughScreens(host, clock, short, "ui-sw-3")
        try await sleepSeconds(3.2) // the pass (3 s) and its refresh token (no grace) expire
        let screen = PassViewModel(host: host, clock: clock, format: utc)
        await screen.renewQuietly()
        XCTAssertEqual(screen.state.reauthenticatePassId, passId)
        let banner = try XCTUnwrap(screen.state.banner)
        for table in [try Shell.english(), try Shell.korean()] {
            XCTAssertTrue(table.text(banner).contains("UI Tester 3"), table.text(banner))
        }
        XCTAssertEqual(screen.state.cards.map(\.passId), [passId], "the pass in hand is still shown")

        let enrol = EnrolViewModel(host: host, clock: clock, format: utc)
        await enrol.reauthenticate(passId)
        guard case let .enterCode(asking) = enrol.step else { return XCTFail("asked \(enrol.step)") }
        XCTAssertTrue(asking.reauthentication)
        await enrol.submitCode(String(repeating: "1", count: asking.codeLength))
        // (A wrong guess is possible but so unlikely that it is not handled.)
        guard case let .enterCode(wrong) = enrol.step else { return XCTFail("after a wrong code: \(enrol.step)") }
        XCTAssertEqual(wrong.error?.action, .retypeCode)
        await enrol.submitCode(try await sentCode(short, "ui-sw-3"))
        guard case let .done(renewedId, _) = enrol.step else { return XCTFail("after the code: \(enrol.step)") }
        XCTAssertEqual(renewedId, passId)
        screen.refresh()
        XCTAssertEqual(screen.state.cards.map(\.state), [.active])
        XCTAssertNil(screen.state.banner)
    }
}
