// The app's boot clock through the Swift bindings against the real core: a phone clock set ahead or
// back after an issuer answer does not move the codes (a door at the true time accepts them, a door
// at the time the clock showed refuses them); after a restart the phone clock is used again.

import Foundation
import XCTest
import DoorpassCore

/// A boot clock as the app's (`clock_gettime(CLOCK_MONOTONIC)`), that the test can restart.
final class TestBootClock: BootClock, @unchecked Sendable {
    private let lock = NSLock()
    private var baseMillis: UInt64
    private var since = DispatchTime.now().uptimeNanoseconds
    private var bootId: String

    init(seconds: UInt64, bootId: String) {
        baseMillis = seconds * 1000
        self.bootId = bootId
    }

    /// A restart: from now the clock reads `seconds` on, in the boot named `bootId`.
    func restart(seconds: UInt64, bootId: String) {
        lock.lock(); defer { lock.unlock() }
        baseMillis = seconds * 1000
        since = DispatchTime.now().uptimeNanoseconds
        self.bootId = bootId
    }

    func read() -> BootClockReading {
        lock.lock(); defer { lock.unlock() }
        let elapsed = (DispatchTime.now().uptimeNanoseconds - since) / 1_000_000
        return BootClockReading(elapsedMillis: baseMillis + elapsed, bootId: bootId)
    }
}

final class BootClockTests: XCTestCase {
    func testAPhoneClockSetAheadOrBackDrawsCodesForTheTrueTimeUntilARestart() async throws {
        let main = try TestEnv.issuerUrl()
        let boot = TestBootClock(seconds: 50_000, bootId: "boot-1")
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(main),
                                     secretStore: MemorySecretStore(), bootClock: boot)
        _ = try await enrol(wallet, issuerUrl: main, subject: "demo-park")
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "door"), anchor: try TestEnv.anchor(),
            config: DoorConfig(issuerUrl: main, allowStaticCodes: false, clockToleranceSeconds: 0))
        _ = try await door.refreshTrustList(now: nowSeconds())

        for shift: Int64 in [3_600, 86_400, -3_600] {
            let shown = UInt64(Int64(nowSeconds()) + shift)
            let code = try wallet.currentQr(passId: nil, now: shown, staticCode: false).text
            guard case .valid = try door.verify(qrText: code, now: nowSeconds()) else {
                return XCTFail("shift \(shift): a door at the true time refused the code")
            }
            // (A door clock set back before its trust list was signed refuses to judge at all.)
            if shift > 0,
               case .valid = try door.verify(qrText: code, now: UInt64(Int64(nowSeconds()) + shift)) {
                return XCTFail("shift \(shift): a door at the time the clock showed accepted the code")
            }
            let ignored = try XCTUnwrap(wallet.clockStatus().deviceClockIgnoredSeconds)
            XCTAssertTrue((shift - 5...shift + 5).contains(ignored), "ignored \(ignored), shift \(shift)")
        }

        // Within the doors' tolerance the phone clock is used.
        _ = try wallet.currentQr(passId: nil, now: nowSeconds() + 20, staticCode: false)
        XCTAssertNil(wallet.clockStatus().deviceClockIgnoredSeconds)

        // After a restart (a smaller reading) the elapsed time is unknown: the phone clock is used.
        boot.restart(seconds: 30, bootId: "boot-1")
        let code = try wallet.currentQr(passId: nil, now: nowSeconds() + 3_600, staticCode: false).text
        guard case .valid = try door.verify(qrText: code, now: nowSeconds() + 3_600) else {
            return XCTFail("after a restart the code should follow the phone clock")
        }
        XCTAssertNil(wallet.clockStatus().deviceClockIgnoredSeconds)
    }
}
