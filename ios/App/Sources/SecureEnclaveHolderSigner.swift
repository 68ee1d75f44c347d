// The holder key on iOS (issue 22): a P-256 key in the Secure Enclave, which never leaves it. The
// core asks for its public point and for ECDSA P-256 / SHA-256 signatures (raw r ‖ s; the core
// normalises S) and never sees the private key. Its opaque handle (`dataRepresentation`, usable
// only by this device's enclave) is kept in the Keychain through the app's secret store. On the
// simulator, which has no Secure Enclave, the key is a software CryptoKit key. No per-use user
// authentication: a code is drawn every 30 s. docs/holder-keys.md.

import CryptoKit
import DoorpassCore
import Foundation

/// The core's holder signer over a Secure Enclave key (a software key where there is no enclave).
final class SecureEnclaveHolderSigner: HolderSigner, @unchecked Sendable {
    /// The secret-store name of the key's handle (not a secret key: the enclave holds that).
    static let handleName = "doorpass/holder-signer/p256"

    private enum Key {
        case enclave(SecureEnclave.P256.Signing.PrivateKey)
        case software(P256.Signing.PrivateKey)
    }

    private let store: SecretStore
    private let lock = NSLock()
    private var loaded: Key?

    init(store: SecretStore) {
        self.store = store
    }

    func algorithm() -> HolderKeyAlgorithm { .p256 }

    /// The uncompressed point, 0x04 ‖ x ‖ y (65 bytes).
    func publicKey() throws -> Data {
        switch try key() {
        case let .enclave(key): return key.publicKey.x963Representation
        case let .software(key): return key.publicKey.x963Representation
        }
    }

    func sign(message: Data) throws -> Data {
        do {
            switch try key() {
            case let .enclave(key): return try key.signature(for: message).rawRepresentation
            case let .software(key): return try key.signature(for: message).rawRepresentation
            }
        } catch let failure as HolderSignerFailure {
            throw failure
        } catch {
            throw HolderSignerFailure.SigningFailed(detail: "\(type(of: error))")
        }
    }

    /// The key, read back from its handle or made on first use.
    private func key() throws -> Key {
        lock.lock(); defer { lock.unlock() }
        if let loaded { return loaded }
        let key: Key
        do {
            if let handle = try store.get(name: Self.handleName) {
                key = SecureEnclave.isAvailable
                    ? .enclave(try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: handle))
                    : .software(try P256.Signing.PrivateKey(rawRepresentation: handle))
            } else if SecureEnclave.isAvailable {
                let made = try SecureEnclave.P256.Signing.PrivateKey()
                try store.set(name: Self.handleName, secret: made.dataRepresentation)
                key = .enclave(made)
            } else {
                let made = P256.Signing.PrivateKey()
                try store.set(name: Self.handleName, secret: made.rawRepresentation)
                key = .software(made)
            }
        } catch {
            throw HolderSignerFailure.KeyUnavailable(detail: "\(type(of: error))")
        }
        loaded = key
        return key
    }
}
