// Swift code called back from Rust: the app's secret store and logger.

import Foundation
import XCTest
import DoorpassCore

final class CallbackTests: XCTestCase {
    func testSecretStoreReceivesHolderKeyAndRefreshToken() async throws {
        let main = try TestEnv.issuerUrl()
        let store = MemorySecretStore()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(main),
                                     secretStore: store)
        XCTAssertTrue(store.sets.isEmpty, "opening a wallet stores nothing")

        let enrolled = try await enrol(wallet, issuerUrl: main, subject: "demo-park")
        XCTAssertEqual(enrolled.holderName, "Park Jisoo")
        XCTAssertEqual(enrolled.birthDate, "2012")
        XCTAssertEqual(enrolled.kind, .recovery)

        let sets = store.sets
        XCTAssertEqual(sets.filter { $0.contains("holder-key") }.count, 1, "one holder key was made")
        XCTAssertEqual(sets.filter { $0.contains("refresh-token") }.count, 1, "one refresh token kept")
        XCTAssertFalse(store.gets.isEmpty, "Rust read the holder key back to prove possession")
        XCTAssertTrue(store.gets.contains { $0.contains("holder-key") })
        XCTAssertEqual(store.storedNames.count, 2)
        let key = try XCTUnwrap(store.value(ofOnly: "holder-key"))
        let firstToken = try XCTUnwrap(store.value(ofOnly: "refresh-token"))
        XCTAssertEqual(key.count, 32, "an Ed25519 private key")
        XCTAssertEqual(firstToken.count, 32)

        // The QR code is drawn with the key from the store.
        let qr = try wallet.currentQr(passId: enrolled.id, now: nowSeconds(), staticCode: false)
        XCTAssertTrue(qr.text.hasPrefix("DP1:"))

        // Renewal reads the token and the key, and stores the next token in place of the spent one.
        let getsBefore = store.gets.count
        let outcome = try await wallet.renewNow(passId: enrolled.id, now: nowSeconds())
        guard case .renewed = outcome else {
            return XCTFail("expected the renewal to succeed, got \(outcome)")
        }
        let renewalGets = store.gets.dropFirst(getsBefore)
        XCTAssertTrue(renewalGets.contains { $0.contains("refresh-token") })
        XCTAssertTrue(renewalGets.contains { $0.contains("holder-key") })
        XCTAssertEqual(store.sets.filter { $0.contains("refresh-token") }.count, 2)
        XCTAssertEqual(store.storedNames.count, 2, "the new token replaced the spent one")
        let secondToken = try XCTUnwrap(store.value(ofOnly: "refresh-token"))
        XCTAssertEqual(secondToken.count, 32)
        XCTAssertNotEqual(secondToken, firstToken, "a new refresh token")
        XCTAssertEqual(store.value(ofOnly: "holder-key"), key, "the holder key stays")
    }

    func testUnavailableSecretStoreIsKeystoreUnavailable() async throws {
        let store = MemorySecretStore(failingWith: .Unavailable(detail: "device locked (test)"))
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"),
                                     config: try walletConfig(try TestEnv.issuerUrl()),
                                     secretStore: store)
        let error = await doorpassError("enrolment with the secret store unavailable") {
            try await wallet.startEnrolment(subject: "demo-kim", now: nowSeconds())
        }
        guard case let .KeystoreUnavailable(detail)? = error else {
            return XCTFail("expected KeystoreUnavailable, got \(String(describing: error))")
        }
        XCTAssertTrue(detail.contains("device locked (test)"), "the store's own words reach the app: \(detail)")
        XCTAssertFalse(store.sets.isEmpty, "Rust did call the Swift store")
        XCTAssertEqual(wallet.state(), .notEnrolled)
    }

    func testLoggerReceivesLinesWithoutSecrets() async throws {
        let main = try TestEnv.issuerUrl()
        let logger = RecordingLogger()
        setLogger(logger: logger, maxLevel: .info)
        defer { setLogger(logger: SilentLogger(), maxLevel: .error) }

        let store = MemorySecretStore()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(main),
                                     secretStore: store)
        let pending = try await wallet.startEnrolment(subject: "demo-choi", now: nowSeconds())
        let code = try await devCode(issuerUrl: main, subject: "demo-choi")
        XCTAssertEqual(code.count, Int(pending.codeLength))
        let enrolled = try await wallet.completeEnrolment(code: code, now: nowSeconds())
        XCTAssertEqual(enrolled.holderName, "Choi Daniel")
        let outcome = try await wallet.renewNow(passId: enrolled.id, now: nowSeconds())
        guard case .renewed = outcome else {
            return XCTFail("expected the renewal to succeed, got \(outcome)")
        }

        let lines = logger.lines
        XCTAssertFalse(lines.isEmpty, "the logger received lines")
        XCTAssertTrue(lines.contains { $0.message.contains("renewed") },
                      "a line says the pass was renewed: \(lines.map(\.message))")
        XCTAssertTrue(lines.allSatisfy { $0.level != .debug }, "nothing below the level asked for")
        XCTAssertTrue(lines.allSatisfy { !$0.target.isEmpty })

        // No line carries the one-time code (as a number of its own) or a secret, in any usual form:
        // hex, base64 and decimal.
        let secrets = store.everStored
        XCTAssertEqual(secrets.count, 3, "the holder key and both refresh tokens")
        var forms: [String] = []
        for secret in secrets {
            forms.append(secret.map { String(format: "%02x", $0) }.joined())
            forms.append(secret.map { String(format: "%02X", $0) }.joined())
            let base64 = secret.base64EncodedString()
            forms.append(base64)
            forms.append(base64.replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""))
            // Decimal: Rust's and Swift's `[1, 2, 3]`, and the bytes' numbers run together or
            // spaced, comma-separated without spaces, or dotted.
            for separator in [", ", ",", " ", ".", ""] {
                forms.append(secret.map { String($0) }.joined(separator: separator))
            }
        }
        XCTAssertEqual(forms.count, secrets.count * 9, "hex (both cases), base64 (both alphabets), five decimals")
        for line in lines {
            let numbers = line.message.split { !$0.isNumber }.map(String.init)
            XCTAssertFalse(numbers.contains(code), "a log line carries the one-time code")
            for form in forms {
                XCTAssertFalse(line.message.contains(form), "a log line carries a secret")
            }
        }
    }
}
