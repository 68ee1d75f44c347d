// The wallet's secrets (holder signing keys, refresh tokens) in the iOS Keychain, through the core's
// `SecretStore`: generic passwords of the service "org.doorpass.wallet", readable after the first
// unlock (so background renewal works) and only on this device: never synchronized to iCloud, never
// restored to another phone from a backup. See docs/shells.md for what this protects against.

import DoorpassCore
import Foundation
import Security

/// The core's secret store over the Keychain.
final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    /// The Keychain service all Doorpass secrets are filed under.
    static let service = "org.doorpass.wallet"

    /// The secret stored under `name`, or `nil` when there is none.
    func get(name: String) throws -> Data? {
        var query = itemQuery(name)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data else { throw SecretStoreFailure.Failed(detail: "read: not data") }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw KeychainSecretStore.failure(status, during: "read")
        }
    }

    /// Stores `secret` under `name`, replacing any earlier one.
    func set(name: String, secret: Data) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: secret,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let updated = SecItemUpdate(itemQuery(name) as CFDictionary, attributes as CFDictionary)
        if updated == errSecSuccess { return }
        guard updated == errSecItemNotFound else { throw KeychainSecretStore.failure(updated, during: "update") }
        let added = SecItemAdd(itemQuery(name).merging(attributes) { _, new in new } as CFDictionary, nil)
        guard added == errSecSuccess else { throw KeychainSecretStore.failure(added, during: "add") }
    }

    /// Removes the secret under `name`; nothing to remove is fine.
    func delete(name: String) throws {
        let status = SecItemDelete(itemQuery(name) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainSecretStore.failure(status, during: "delete")
        }
    }

    /// Where the secrets are, for the core's logs.
    func describe() -> String {
        "iOS Keychain (\(KeychainSecretStore.service), this device only, after first unlock)"
    }

    /// The one item `name` of this app's service, never a synchronized one.
    private func itemQuery(_ name: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: KeychainSecretStore.service,
            kSecAttrAccount as String: name,
            kSecAttrSynchronizable as String: false,
        ]
    }

    /// A Keychain status as the core's error: the Keychain out of reach (locked before the first
    /// unlock, no entitlement) is `Unavailable`; anything else `Failed`. Never carries a secret.
    private static func failure(_ status: OSStatus, during operation: String) -> SecretStoreFailure {
        let message = SecCopyErrorMessageString(status, nil) as String? ?? "OSStatus \(status)"
        let detail = "Keychain \(operation): \(message) (\(status))"
        switch status {
        case errSecInteractionNotAllowed, errSecNotAvailable, errSecMissingEntitlement, errSecAuthFailed:
            return .Unavailable(detail: detail)
        default:
            return .Failed(detail: detail)
        }
    }
}
