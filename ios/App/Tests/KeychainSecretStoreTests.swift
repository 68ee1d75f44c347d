// The Keychain store the core keeps its secrets in, on the simulator or a device: a secret written is
// read back, replaced, and removed; a missing one reads as nothing.

import XCTest
@testable import Doorpass

final class KeychainSecretStoreTests: XCTestCase {
    func testASecretIsStoredReplacedAndRemoved() throws {
        let store = KeychainSecretStore()
        let name = "test-\(UUID().uuidString)"
        addTeardownBlock { try? store.delete(name: name) }

        XCTAssertNil(try store.get(name: name))
        try store.set(name: name, secret: Data([1, 2, 3]))
        XCTAssertEqual(try store.get(name: name), Data([1, 2, 3]))
        try store.set(name: name, secret: Data([4, 5]))
        XCTAssertEqual(try store.get(name: name), Data([4, 5]))
        try store.delete(name: name)
        XCTAssertNil(try store.get(name: name))
        try store.delete(name: name)
        XCTAssertTrue(store.describe().contains(KeychainSecretStore.service))
    }
}
