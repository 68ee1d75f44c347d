// Cancelling a Swift task that awaits a network call of the core. The core runs every network call
// to completion on its own runtime, so a refresh token is never left half-spent.
//
// What the generated bindings (uniffi 0.32) do on cancellation: `uniffiRustCallAsync` awaits the
// Rust future through `withUnsafeContinuation` and never checks `Task.isCancelled`, so cancelling
// the task neither interrupts the call nor makes it throw CancellationError: the task ends with the
// call's own result once the issuer has answered.

import Foundation
import XCTest
import DoorpassCore

final class CancellationTests: XCTestCase {
    func testCancelledRenewalFinishesAndKeepsTheTokenChain() async throws {
        // The slow issuer adds 3 s to every issuance call.
        let slow = try TestEnv.slowIssuerUrl()
        let store = MemorySecretStore()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(slow),
                                     secretStore: store)
        let enrolled = try await enrol(wallet, issuerUrl: slow, subject: "demo-kim")
        XCTAssertEqual(enrolled.holderName, "Kim Minji")
        let door = try doorWithTrustList(self, now: nowSeconds())
        let tokens = { store.sets.filter { $0.contains("refresh-token") }.count }
        XCTAssertEqual(tokens(), 1)

        let started = Date()
        let renewal = Task { try await wallet.renewNow(passId: enrolled.id, now: nowSeconds()) }
        try await sleepSeconds(0.5)
        renewal.cancel()

        // At once, while the renewal is still at the issuer, the pass in hand is shown and opens
        // the door.
        let during = try wallet.currentQr(passId: enrolled.id, now: nowSeconds(), staticCode: false)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5, "showing the code did not wait")
        XCTAssertEqual(tokens(), 1, "the cancelled renewal has not been answered yet")
        XCTAssertEqual(validHolder(try door.verify(qrText: during.text, now: nowSeconds()))?.name,
                       "Kim Minji")

        // The cancelled call goes on in the background and stores its successor token.
        try await sleepSeconds(4)
        XCTAssertEqual(tokens(), 2, "the cancelled renewal stored the next refresh token")

        // The cancelled task ends with the call's result, not CancellationError.
        switch await renewal.result {
        case let .success(outcome):
            guard case let .renewed(expiresAt, _) = outcome else {
                return XCTFail("expected the cancelled renewal to have renewed, got \(outcome)")
            }
            XCTAssertGreaterThanOrEqual(expiresAt, enrolled.expiresAt)
        case let .failure(error):
            return XCTFail("the cancelled task threw \(error); the bindings do not cancel calls")
        }
        XCTAssertEqual(wallet.passes(now: nowSeconds()).first?.state, .active)

        // The chain of refresh tokens is intact: the next renewal uses the successor and succeeds.
        let next = try await wallet.renewNow(passId: enrolled.id, now: nowSeconds())
        guard case .renewed = next else {
            return XCTFail("expected the renewal after the cancelled one to succeed, got \(next)")
        }
        XCTAssertEqual(tokens(), 3)
        let after = try wallet.currentQr(passId: enrolled.id, now: nowSeconds(), staticCode: false)
        XCTAssertEqual(after.state, .active)
        let holder = validHolder(try door.verify(qrText: after.text, now: nowSeconds()))
        XCTAssertEqual(holder?.name, "Kim Minji")
        XCTAssertEqual(holder?.birthDate, "1990-04-01")
    }
}
