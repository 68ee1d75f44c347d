// A holder key the core never sees (issue 22 part 2): a HolderSigner written in Swift drives
// enrolment, the code at the door and renewal through the real core and a real issuer. On a phone
// it wraps SecureEnclave.P256.Signing.PrivateKey; CryptoKit is not on Linux, so here it wraps the
// software P-256 signer the core exports.

import Foundation
import XCTest
import DoorpassCore

/// A P-256 holder key behind the app's own class, as the iOS app's Secure Enclave signer is.
final class WrappedSoftwareSigner: HolderSigner, @unchecked Sendable {
    private let key = SoftwareP256Signer.generate()
    private let lock = NSLock()
    private var count = 0

    func algorithm() -> HolderKeyAlgorithm { .p256 }

    func publicKey() throws -> Data { key.publicKey() }

    func sign(message: Data) throws -> Data {
        lock.lock()
        count += 1
        lock.unlock()
        return key.sign(message: message)
    }

    var signatures: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A signer whose key was invalidated (e.g. the Secure Enclave key after a passcode reset).
final class GoneSigner: HolderSigner, @unchecked Sendable {
    func algorithm() -> HolderKeyAlgorithm { .p256 }
    func publicKey() throws -> Data { throw HolderSignerFailure.KeyUnavailable(detail: "key invalidated") }
    func sign(message: Data) throws -> Data { throw HolderSignerFailure.SigningFailed(detail: "no key") }
}

final class HolderSignerTests: XCTestCase {
    func testAnAppSignerEnrolsShowsACodeTheDoorAcceptsAndRenews() async throws {
        let main = try TestEnv.issuerUrl()
        let store = MemorySecretStore()
        let signer = WrappedSoftwareSigner()
        let wallet = try Wallet.open(home: freshFolder(self, "signer"), config: try walletConfig(main),
                                     secretStore: store, holderSigner: signer)
        let enrolled = try await enrol(wallet, issuerUrl: main, subject: "demo-park")
        XCTAssertFalse(store.storedNames.contains { $0.contains("holder-key") },
                       "no private key in the store: \(store.storedNames)")
        XCTAssertGreaterThanOrEqual(signer.signatures, 1, "the enrolment proof came from the signer")

        let now = nowSeconds()
        let door = try doorWithTrustList(self, now: now)
        let qr = try wallet.currentQr(passId: enrolled.id, now: now, staticCode: false)
        XCTAssertNotNil(validHolder(try door.verify(qrText: qr.text, now: now)))

        let outcome = try await wallet.renewNow(passId: enrolled.id, now: nowSeconds())
        guard case .renewed = outcome else {
            return XCTFail("expected the renewal to succeed, got \(outcome)")
        }
        let renewed = try wallet.currentQr(passId: enrolled.id, now: nowSeconds(), staticCode: false)
        XCTAssertNotNil(validHolder(try door.verify(qrText: renewed.text, now: nowSeconds())))
    }

    func testASignerWhoseKeyIsGoneIsKeystoreUnavailable() async throws {
        let wallet = try Wallet.open(home: freshFolder(self, "gone"), config: try walletConfig(try TestEnv.issuerUrl()),
                                     secretStore: MemorySecretStore(), holderSigner: GoneSigner())
        let error = await doorpassError("start with a gone key") {
            try await wallet.startEnrolment(subject: "demo-park", now: nowSeconds())
        }
        guard case let .KeystoreUnavailable(detail)? = error else {
            return XCTFail("expected KeystoreUnavailable, got \(String(describing: error))")
        }
        XCTAssertTrue(detail.contains("key invalidated"), detail)
    }
}
