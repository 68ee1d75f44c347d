// Holder keys the core never sees (issue 22 parts 2 and 3): a HolderSigner written in Swift makes one
// key per pass, addressed by id, and drives enrolment, the code at the door and renewal through the
// real core and a real issuer. On a phone it wraps SecureEnclave.P256.Signing.PrivateKey; CryptoKit
// is not on Linux, so here it wraps the software P-256 signer the core exports. It cannot attest
// its keys, so its passes are Unattested: the door says so, a door requiring a hardware key refuses
// them, and an issuer that requires attestation refuses the enrolment.

import Foundation
import XCTest
import DoorpassCore

/// P-256 holder keys behind the app's own class, as the iOS app's Secure Enclave signer is. No
/// attestation.
final class WrappedSoftwareSigner: HolderSigner, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: SoftwareP256Signer] = [:]
    private var made = 0
    private var count = 0

    func algorithm() -> HolderKeyAlgorithm { .p256 }

    func createKey(attestationChallenge: Data?) throws -> CreatedKey {
        let key = SoftwareP256Signer.generate()
        lock.lock(); defer { lock.unlock() }
        made += 1
        let id = "swift-key-\(made)"
        keys[id] = key
        return CreatedKey(keyId: id, publicKey: key.publicKey(), attestation: nil)
    }

    func sign(keyId: String, message: Data) throws -> Data {
        lock.lock()
        let key = keys[keyId]
        count += 1
        lock.unlock()
        guard let key else { throw HolderSignerFailure.KeyUnavailable(detail: "no key \(keyId)") }
        return key.sign(message: message)
    }

    func deleteKey(keyId: String) throws {
        lock.lock(); defer { lock.unlock() }
        keys[keyId] = nil
    }

    var signatures: Int { lock.lock(); defer { lock.unlock() }; return count }
    var liveKeys: Int { lock.lock(); defer { lock.unlock() }; return keys.count }
}

/// A signer whose keys cannot be made (e.g. the Secure Enclave after a passcode reset).
final class GoneSigner: HolderSigner, @unchecked Sendable {
    func algorithm() -> HolderKeyAlgorithm { .p256 }
    func createKey(attestationChallenge: Data?) throws -> CreatedKey {
        throw HolderSignerFailure.KeyUnavailable(detail: "key invalidated")
    }
    func sign(keyId: String, message: Data) throws -> Data { throw HolderSignerFailure.SigningFailed(detail: "no key") }
    func deleteKey(keyId: String) throws {}
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
        XCTAssertEqual(signer.liveKeys, 1, "one key for the pass")

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

        // Wiping the wallet deletes its platform keys too.
        try await wallet.wipe()
        XCTAssertEqual(signer.liveKeys, 0)
    }

    func testAPassWithoutAttestationIsUnattestedAtTheDoorAndRefusedWhereHardwareKeysAreRequired() async throws {
        let main = try TestEnv.issuerUrl()
        let wallet = try Wallet.open(home: freshFolder(self, "unattested"), config: try walletConfig(main),
                                     secretStore: MemorySecretStore(), holderSigner: WrappedSoftwareSigner())
        let enrolled = try await enrol(wallet, issuerUrl: main, subject: "demo-kim")
        let now = nowSeconds()
        let door = try doorWithTrustList(self, now: now)
        let code = try wallet.currentQr(passId: enrolled.id, now: now, staticCode: false).text
        guard case let .valid(_, _, _, _, _, _, _, keyAssurance, _, _) = try door.verify(qrText: code, now: now) else {
            return XCTFail("expected the code to be valid")
        }
        XCTAssertEqual(keyAssurance, .unattested)

        door.setConfig(config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0,
                                          requireHardwareKey: true))
        guard case let .refused(reason, _) = try door.verify(qrText: code, now: now) else {
            return XCTFail("expected a door requiring hardware keys to refuse")
        }
        XCTAssertEqual(reason, .keyNotHardwareBound)
    }

    func testAnIssuerThatRequiresAttestationRefusesAPhoneThatCannotAttest() async throws {
        let attesting = try TestEnv.attestingIssuerUrl()
        let signer = WrappedSoftwareSigner()
        let wallet = try Wallet.open(home: freshFolder(self, "attesting"), config: try walletConfig(attesting),
                                     secretStore: MemorySecretStore(), holderSigner: signer)
        _ = try await wallet.startEnrolment(subject: "demo-lee", now: nowSeconds())
        let code = try await devCode(issuerUrl: attesting, subject: "demo-lee")
        let error = await doorpassError("complete without attestation") {
            try await wallet.completeEnrolment(code: code, now: nowSeconds())
        }
        guard case .AttestationRequired? = error else {
            return XCTFail("expected AttestationRequired, got \(String(describing: error))")
        }
        // The enrolment still waits for its code; the key made for the challenge (unattested) is gone.
        guard case .awaitingCode = wallet.state() else {
            return XCTFail("expected the enrolment to wait, got \(wallet.state())")
        }
        XCTAssertEqual(signer.liveKeys, 1, "only the start key")
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
