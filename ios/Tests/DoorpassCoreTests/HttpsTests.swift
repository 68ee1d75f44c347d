// The wallet and the door over HTTPS through the Swift bindings (issue 21), against the dev issuer
// that scripts/test-issuers.sh serves at https://127.0.0.1:PORT with a certificate from its test CA:
// with the CA added (extraRootCertificatesPem) enrolment, renewal and the status lists work; without
// it, or with pins of other keys, each call throws its own DoorpassError and nothing crashes.

import Foundation
import XCTest
import DoorpassCore

final class HttpsTests: XCTestCase {
    private func walletOverHttps(roots: [String], pins: [String] = []) throws -> Wallet {
        try Wallet.open(
            home: freshFolder(self, "https-wallet"),
            config: WalletConfig(issuerUrl: try TestEnv.tlsIssuerUrl(), anchor: try TestEnv.anchor(),
                                 allowPlainHttp: false, httpTimeoutSeconds: 5, replaceIssuerUrl: false,
                                 extraRootCertificatesPem: roots, issuerKeyPins: pins),
            secretStore: MemorySecretStore())
    }

    /// A door fetching its lists from the HTTPS issuer, reached as `localhost` (its certificate names
    /// both).
    private func doorOverHttps(roots: [String], pins: [String] = []) throws -> DoorVerifier {
        let url = try TestEnv.tlsIssuerUrl().replacingOccurrences(of: "://127.0.0.1:", with: "://localhost:")
        return try DoorVerifier.open(
            dir: freshFolder(self, "https-door"), anchor: try TestEnv.anchor(),
            config: DoorConfig(issuerUrl: url, allowStaticCodes: false, clockToleranceSeconds: 0,
                               extraRootCertificatesPem: roots, issuerKeyPins: pins))
    }

    func testWithTheTestCaAWalletEnrolsRenewsAndADoorRefreshesItsStatusListOverHttps() async throws {
        let url = try TestEnv.tlsIssuerUrl()
        XCTAssertTrue(url.hasPrefix("https://127.0.0.1:"), url)
        let ca = [try TestEnv.testCaPem()]
        let wallet = try walletOverHttps(roots: ca)
        let pass = try await enrol(wallet, issuerUrl: url, subject: "https-sw-1")
        XCTAssertEqual(pass.holderName, "HTTPS Tester 1")
        let renewed = try await wallet.renewNow(passId: pass.id, now: nowSeconds())
        guard case .renewed = renewed else {
            return XCTFail("expected a renewal over HTTPS, got \(renewed)")
        }
        let updated = try await wallet.refreshStatusLists(now: nowSeconds())
        XCTAssertEqual(updated, 1, "the pass's status list, fetched over HTTPS")

        let door = try doorOverHttps(roots: ca)
        _ = try await door.refreshTrustList(now: nowSeconds())
        let now = nowSeconds()
        let qr = try wallet.currentQr(passId: pass.id, now: now, staticCode: false)
        // The first check tells the door which status list the pass names; it has none yet.
        guard case .valid(_, _, _, _, _, _, .notChecked(nil), _, _, _) = try door.verify(qrText: qr.text, now: now) else {
            return XCTFail("before its status list is fetched the pass is valid, revocation not checked")
        }
        let lists = try await door.refreshStatusLists(now: now)
        XCTAssertEqual(lists.count, 1)
        XCTAssertTrue(lists.first?.uri.hasPrefix("\(url)/") ?? false, "\(lists.map(\.uri))")
        let checked = try door.verify(qrText: qr.text, now: now)
        XCTAssertEqual(validHolder(checked)?.name, "HTTPS Tester 1")
        guard case .valid(_, _, _, _, _, _, .notRevoked, _, _, _) = checked else {
            return XCTFail("the list fetched over HTTPS says the pass is not revoked: \(checked)")
        }
    }

    func testWithoutTheTestCaTheIssuersCertificateIsUntrustedAtTheWalletAndTheDoor() async throws {
        let wallet = try walletOverHttps(roots: [])
        let started = await doorpassError("enrolment without the test CA") {
            try await wallet.startEnrolment(subject: "https-sw-2", now: nowSeconds())
        }
        guard case .UntrustedCertificate? = started else {
            return XCTFail("expected UntrustedCertificate, got \(String(describing: started))")
        }
        XCTAssertEqual(wallet.state(), .notEnrolled)
        let listed = await doorpassError("the wallet's trust list without the test CA") {
            try await wallet.refreshTrustList(now: nowSeconds())
        }
        guard case .UntrustedCertificate? = listed else {
            return XCTFail("expected UntrustedCertificate, got \(String(describing: listed))")
        }
        let door = try doorOverHttps(roots: [])
        let fetched = await doorpassError("the door's trust list without the test CA") {
            try await door.refreshTrustList(now: nowSeconds())
        }
        guard case .UntrustedCertificate? = fetched else {
            return XCTFail("expected UntrustedCertificate, got \(String(describing: fetched))")
        }
        XCTAssertNil(door.trustListStatus(now: nowSeconds()))
    }

    func testPinsOfOtherKeysAreAMismatchAndTheIssuersKeyPinnedAsTheBackupWorks() async throws {
        let url = try TestEnv.tlsIssuerUrl()
        let ca = [try TestEnv.testCaPem()]
        // The key in use and the backup both pinned wrong: refused although the chain is trusted.
        let wrong = try TestEnv.unrelatedKeyPins()
        let refused = try walletOverHttps(roots: ca, pins: wrong)
        let started = await doorpassError("enrolment with the pins of other keys") {
            try await refused.startEnrolment(subject: "https-sw-3", now: nowSeconds())
        }
        guard case .CertificatePinMismatch? = started else {
            return XCTFail("expected CertificatePinMismatch, got \(String(describing: started))")
        }
        XCTAssertEqual(refused.state(), .notEnrolled)
        let wrongDoor = try doorOverHttps(roots: ca, pins: wrong)
        let fetched = await doorpassError("the door's trust list with the pins of other keys") {
            try await wrongDoor.refreshTrustList(now: nowSeconds())
        }
        guard case .CertificatePinMismatch? = fetched else {
            return XCTFail("expected CertificatePinMismatch, got \(String(describing: fetched))")
        }

        // The issuer's key is the backup pin: the wallet enrols and the door fetches its list.
        let pins = [wrong[0], try TestEnv.tlsIssuerKeyPin()]
        let pass = try await enrol(try walletOverHttps(roots: ca, pins: pins), issuerUrl: url,
                                   subject: "https-sw-3")
        XCTAssertEqual(pass.holderName, "HTTPS Tester 3")
        let status = try await doorOverHttps(roots: ca, pins: pins).refreshTrustList(now: nowSeconds())
        XCTAssertGreaterThanOrEqual(status.version, 1)
    }
}
