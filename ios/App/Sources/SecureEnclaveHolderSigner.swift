// The holder keys on iOS (issue 22): P-256 keys in the Secure Enclave, one per pass, which never leave
// it. The core asks for new keys, for ECDSA P-256 / SHA-256 signatures (raw r ‖ s; the core
// normalises S) and for deletions, and never sees a private key. Each key's opaque handle
// (`dataRepresentation`, usable only by this device's enclave) is kept in the Keychain through the
// app's secret store, under the key's id. When an issuer asks for key attestation (part 3), the new
// key comes with an App Attest attestation whose client data hash binds the issuer's challenge and
// the key (the core computes it: `appAttestClientDataHash`). On the simulator, which has neither a
// Secure Enclave nor App Attest, keys are software CryptoKit keys and come without attestation. No
// per-use user authentication: a code is drawn every 30 s. docs/holder-keys.md.

import CryptoKit
import DeviceCheck
import DoorpassCore
import Foundation

/// The core's holder signer over Secure Enclave keys (software keys where there is no enclave).
final class SecureEnclaveHolderSigner: HolderSigner, @unchecked Sendable {
    /// Where a key's handle is kept in the secret store: this prefix and the key id (not a secret
    /// key: the enclave holds that).
    static let handlePrefix = "doorpass/holder-signer/p256/"
    /// The one key's handle before keys had ids (issue 22 part 2): deleted at the first new key.
    static let legacyHandleName = "doorpass/holder-signer/p256"
    /// Longest wait for App Attest (it asks Apple's servers) before enrolling without attestation.
    static let appAttestTimeout: TimeInterval = 30

    private enum Key {
        case enclave(SecureEnclave.P256.Signing.PrivateKey)
        case software(P256.Signing.PrivateKey)

        var publicKey: Data {
            switch self {
            case let .enclave(key): return key.publicKey.x963Representation
            case let .software(key): return key.publicKey.x963Representation
            }
        }
    }

    private let store: SecretStore
    private let lock = NSLock()
    private var loaded: [String: Key] = [:]

    init(store: SecretStore) {
        self.store = store
    }

    func algorithm() -> HolderKeyAlgorithm { .p256 }

    /// A new key under a new id; with a challenge, its App Attest attestation where supported.
    func createKey(attestationChallenge: Data?) throws -> CreatedKey {
        let keyId = UUID().uuidString
        let key: Key
        do {
            try? store.delete(name: Self.legacyHandleName)
            if SecureEnclave.isAvailable {
                let made = try SecureEnclave.P256.Signing.PrivateKey()
                try store.set(name: Self.handlePrefix + keyId, secret: made.dataRepresentation)
                key = .enclave(made)
            } else {
                let made = P256.Signing.PrivateKey()
                try store.set(name: Self.handlePrefix + keyId, secret: made.rawRepresentation)
                key = .software(made)
            }
        } catch {
            throw HolderSignerFailure.KeyUnavailable(detail: "\(type(of: error))")
        }
        lock.lock()
        loaded[keyId] = key
        lock.unlock()
        // App Attest vouches for the key as this app's Secure Enclave key: never for the software
        // fallback, which would then pass for hardware-bound.
        var attestation: PlatformAttestation? = nil
        if case .enclave = key, let challenge = attestationChallenge {
            attestation = appAttest(challenge: challenge, publicKey: key.publicKey)
        }
        return CreatedKey(keyId: keyId, publicKey: key.publicKey, attestation: attestation)
    }

    func sign(keyId: String, message: Data) throws -> Data {
        do {
            switch try key(keyId) {
            case let .enclave(key): return try key.signature(for: message).rawRepresentation
            case let .software(key): return try key.signature(for: message).rawRepresentation
            }
        } catch let failure as HolderSignerFailure {
            throw failure
        } catch {
            throw HolderSignerFailure.SigningFailed(detail: "\(type(of: error))")
        }
    }

    /// Forgets the key: its handle leaves the Keychain (the enclave key is then unreachable).
    func deleteKey(keyId: String) throws {
        lock.lock()
        loaded[keyId] = nil
        lock.unlock()
        do {
            try store.delete(name: Self.handlePrefix + keyId)
        } catch {
            throw HolderSignerFailure.KeyUnavailable(detail: "\(type(of: error))")
        }
    }

    /// The key `keyId`, read back from its handle.
    private func key(_ keyId: String) throws -> Key {
        lock.lock(); defer { lock.unlock() }
        if let key = loaded[keyId] { return key }
        let key: Key
        do {
            guard let handle = try store.get(name: Self.handlePrefix + keyId) else {
                throw HolderSignerFailure.KeyUnavailable(detail: "no key \(keyId)")
            }
            key = SecureEnclave.isAvailable
                ? .enclave(try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: handle))
                : .software(try P256.Signing.PrivateKey(rawRepresentation: handle))
        } catch let failure as HolderSignerFailure {
            throw failure
        } catch {
            throw HolderSignerFailure.KeyUnavailable(detail: "\(type(of: error))")
        }
        loaded[keyId] = key
        return key
    }

    /// An App Attest key and its attestation over the core's client data hash for `challenge` and
    /// `publicKey`; `nil` where App Attest is unsupported (simulator, old devices) or fails (the
    /// enrolment then goes without attestation, and the issuer decides). The core calls this off
    /// the main thread, so waiting for App Attest's callbacks here blocks no screen.
    private func appAttest(challenge: Data, publicKey: Data) -> PlatformAttestation? {
        let service = DCAppAttestService.shared
        guard service.isSupported,
              let clientDataHash = try? appAttestClientDataHash(attestationChallenge: challenge,
                                                                publicKey: publicKey)
        else { return nil }
        let done = DispatchSemaphore(value: 0)
        var attestKeyId: String?
        service.generateKey { keyId, _ in
            attestKeyId = keyId
            done.signal()
        }
        guard done.wait(timeout: .now() + Self.appAttestTimeout) == .success,
              let keyId = attestKeyId, let keyIdBytes = Data(base64Encoded: keyId)
        else { return nil }
        var object: Data?
        service.attestKey(keyId, clientDataHash: clientDataHash) { attestation, _ in
            object = attestation
            done.signal()
        }
        guard done.wait(timeout: .now() + Self.appAttestTimeout) == .success, let object else { return nil }
        return .appleAppAttest(keyId: keyIdBytes, object: object)
    }
}
