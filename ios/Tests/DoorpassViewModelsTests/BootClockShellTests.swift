// The shell's boot clock (MonotonicBootClock, what the iOS app passes) wired through WalletHost to
// the real core: with the phone's clock set a day ahead (QA's clock offset), the pass screen's code
// is still for the true time.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

final class BootClockShellTests: XCTestCase {
    @MainActor
    func testWithTheBootClockACodeDrawnOnAClockSetAheadIsForTheTrueTime() async throws {
        let boot = MonotonicBootClock()
        let first = boot.read()
        let second = boot.read()
        XCTAssertGreaterThanOrEqual(second.elapsedMillis, first.elapsedMillis)
        XCTAssertGreaterThan(first.elapsedMillis, 0)
        XCTAssertFalse(first.bootId.isEmpty, "the boot is named")

        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try WalletHost(home: freshFolder(self, "wallet"), anchor: try Shell.anchor(),
                                  secretStore: InMemorySecrets(), issuerUrl: issuer, bootClock: boot)
        _ = try await enrolThroughScreens(host, clock, issuer, "demo-choi")
        clock.offsetSeconds = 86_400 // the phone's clock set a day ahead
        let screen = PassViewModel(host: host, clock: clock, format: utc)
        screen.refresh()
        let code = try XCTUnwrap(screen.state.cards.first?.qr).text

        let door = try await doorScreen(self, issuer, ShiftedClock())
        door.verify(code)
        guard case .valid = door.state.result else {
            return XCTFail("a door at the true time refused the code: \(door.state.result)")
        }
        let doorAhead = try await doorScreen(self, issuer, clock)
        doorAhead.verify(code)
        XCTAssertEqual(doorAhead.state.result, .refused(reason: UiText("refusal_stale_code")),
                       "a door at the time the phone showed refuses it")
    }
}
