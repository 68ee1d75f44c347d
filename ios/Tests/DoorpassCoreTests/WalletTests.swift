// The holder's wallet through the Swift bindings, against real issuers: enrolment, the pass shown
// and checked offline, renewal against an issuer that is gone, the errors an app reacts to,
// re-authentication, and wiping.

import Foundation
import XCTest
import DoorpassCore

final class WalletTests: XCTestCase {
    // MARK: Enrol, then offline: the pass still opens the door

    func testEnrolledPassWorksOfflineAtTheDoor() async throws {
        let main = try TestEnv.issuerUrl()
        let home = freshFolder(self, "wallet")
        let store = MemorySecretStore()

        let enrolled: PassSummary
        do {
            let wallet = try Wallet.open(home: home, config: try walletConfig(main), secretStore: store)
            XCTAssertEqual(wallet.state(), .notEnrolled)
            enrolled = try await enrol(wallet, issuerUrl: main, subject: "demo-kim")
            XCTAssertEqual(enrolled.holderName, "Kim Minji")
            XCTAssertEqual(enrolled.birthDate, "1990-04-01")
            XCTAssertEqual(enrolled.kind, .vaccination)
            XCTAssertEqual(enrolled.subject, "demo-kim")
            XCTAssertEqual(enrolled.state, .active)
            XCTAssertGreaterThan(enrolled.expiresAt, nowSeconds())
            XCTAssertGreaterThan(enrolled.renewAfter, nowSeconds())
            XCTAssertLessThan(enrolled.renewAfter, enrolled.expiresAt)
            XCTAssertEqual(wallet.state(), .ready(passes: 1))
        }

        // The door fetches its trust list from the issuer while it can.
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "door"), anchor: try TestEnv.anchor(),
            config: DoorConfig(issuerUrl: main, allowStaticCodes: false, clockToleranceSeconds: 0))
        let status = try await door.refreshTrustList(now: nowSeconds())
        XCTAssertGreaterThanOrEqual(status.version, 1)
        XCTAssertEqual(door.trustListStatus(now: nowSeconds())?.version, status.version)

        // The issuer stops answering: the app opens the same wallet folder, now pointed at an
        // address where nothing listens.
        let down = try TestEnv.downIssuerUrl()
        let wallet = try Wallet.open(home: home, config: try walletConfig(down, replaceIssuerUrl: true),
                                     secretStore: store)
        XCTAssertEqual(wallet.state(), .ready(passes: 1))
        XCTAssertEqual(wallet.passes(now: nowSeconds()).map(\.id), [enrolled.id])

        let now = nowSeconds()
        let qr = try wallet.currentQr(passId: nil, now: now, staticCode: false)
        XCTAssertEqual(qr.passId, enrolled.id)
        XCTAssertGreaterThan(qr.size, 0)
        XCTAssertEqual(Int(qr.size) * Int(qr.size), qr.modules.count)
        XCTAssertTrue(qr.modules.allSatisfy { $0 == 0 || $0 == 1 }, "modules are 0 or 1")
        XCTAssertTrue(qr.modules.contains(1) && qr.modules.contains(0))
        XCTAssertTrue((1...40).contains(qr.version))
        XCTAssertGreaterThan(qr.quietZone, 0)
        XCTAssertTrue(qr.text.hasPrefix("DP1:"), "the code's text is DP1")
        XCTAssertTrue((1...30).contains(qr.secondsUntilRotation), "\(qr.secondsUntilRotation)")
        XCTAssertFalse(qr.isStatic)
        XCTAssertEqual(qr.state, .active)
        XCTAssertEqual(qr.holderName, "Kim Minji")
        XCTAssertEqual(qr.expiresAt, enrolled.expiresAt)
        XCTAssertTrue(qr.accessibilityLabel.contains("Kim Minji"), qr.accessibilityLabel)

        let verdict = try door.verify(qrText: qr.text, now: now)
        let holder = validHolder(verdict)
        XCTAssertEqual(holder?.name, "Kim Minji")
        XCTAssertEqual(holder?.birthDate, "1990-04-01")
        XCTAssertEqual(holder?.kind, .vaccination)
        XCTAssertEqual(holder?.wasStatic, false)

        // The same text ten minutes later is a screenshot.
        guard case let .refused(reason, _) = try door.verify(qrText: qr.text, now: now + 600) else {
            return XCTFail("a 10-minute-old code was accepted")
        }
        XCTAssertEqual(reason, .staleCode)

        // A printed (static) code cannot prove it comes from the holder's phone: this door wants
        // the live one.
        let printed = try wallet.currentQr(passId: nil, now: now, staticCode: true)
        XCTAssertTrue(printed.isStatic)
        XCTAssertEqual(printed.secondsUntilRotation, 0)
        XCTAssertNotEqual(printed.text, qr.text)
        guard case let .refused(staticReason, _) = try door.verify(qrText: printed.text, now: now) else {
            return XCTFail("a static code was accepted by a door that refuses them")
        }
        XCTAssertEqual(staticReason, .staticNotAccepted)

        // Renewal against the issuer that is gone: deferred to later, never retried at once.
        let dueAt = max(enrolled.renewAfter, now) + 1
        let renewals = try await wallet.renewIfDue(now: dueAt)
        XCTAssertEqual(renewals.map(\.passId), [enrolled.id])
        guard case let .deferred(retryAt, reason, retryAfter)? = renewals.first?.outcome else {
            return XCTFail("expected a deferred renewal, got \(renewals)")
        }
        XCTAssertGreaterThan(retryAt, dueAt, "the next attempt is later, not immediate")
        XCTAssertFalse(reason.isEmpty)
        XCTAssertNil(retryAfter, "nothing answered, so no Retry-After")

        // "Renew now" does not throw: before retryAt the backoff holds and the issuer is not
        // contacted (Waiting, with the same time); at retryAt it tries and is deferred again.
        let early = try await wallet.renewNow(passId: enrolled.id, now: dueAt)
        XCTAssertEqual(early, .waiting(retryAt: retryAt))
        let again = try await wallet.renewNow(passId: enrolled.id, now: retryAt)
        guard case let .deferred(nextRetryAt, _, _) = again else {
            return XCTFail("expected renewNow against the down issuer to be deferred, got \(again)")
        }
        XCTAssertGreaterThan(nextRetryAt, retryAt)
        let summary = try XCTUnwrap(wallet.passes(now: retryAt).first)
        XCTAssertEqual(summary.nextRenewalAttempt, nextRetryAt)
        XCTAssertNotNil(summary.lastRenewalError)
        XCTAssertEqual(summary.holderName, "Kim Minji", "the pass in hand is kept")
        XCTAssertEqual(wallet.nextRenewalAt(), nextRetryAt)

        // The pass is still shown, and still opens the door. (The phone's clock was moved days
        // ahead, its boot clock was not: the code is for the true time, the door's.)
        let later = try wallet.currentQr(passId: enrolled.id, now: retryAt, staticCode: false)
        XCTAssertTrue(later.text.hasPrefix("DP1:"))
        XCTAssertEqual(later.holderName, "Kim Minji")
        XCTAssertEqual(later.expiresAt, enrolled.expiresAt)
        XCTAssertEqual(validHolder(try door.verify(qrText: later.text, now: nowSeconds()))?.name, "Kim Minji")
    }

    // MARK: Errors an app meets

    func testWrongCodeLeavesTheEnrolmentOpen() async throws {
        let main = try TestEnv.issuerUrl()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(main),
                                     secretStore: MemorySecretStore())
        let pending = try await wallet.startEnrolment(subject: "demo-lee", now: nowSeconds())
        XCTAssertEqual(pending.codeLength, 6)
        XCTAssertGreaterThan(pending.expiresAt, nowSeconds())
        XCTAssertEqual(wallet.state(), .awaitingCode(pending: pending))
        let code = try await devCode(issuerUrl: main, subject: "demo-lee")
        let wrong = wrongCode(for: code)
        XCTAssertNotEqual(wrong, code)
        XCTAssertEqual(wrong.count, Int(pending.codeLength))

        let error = await doorpassError("a wrong code") {
            try await wallet.completeEnrolment(code: wrong, now: nowSeconds())
        }
        guard case let .InvalidCode(attemptsLeft)? = error else {
            return XCTFail("expected InvalidCode, got \(String(describing: error))")
        }
        XCTAssertGreaterThan(attemptsLeft, 0)
        XCTAssertEqual(wallet.state(), .awaitingCode(pending: pending), "still waiting for the code")

        let summary = try await wallet.completeEnrolment(code: code, now: nowSeconds())
        XCTAssertEqual(summary.subject, "demo-lee")
        XCTAssertEqual(summary.holderName, "이서연 Lee Seoyun")
        XCTAssertEqual(summary.state, .active)
        XCTAssertEqual(wallet.state(), .ready(passes: 1))
    }

    func testBusyIssuerSaysWhenToRetry() async throws {
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"),
                                     config: try walletConfig(try TestEnv.busyIssuerUrl()),
                                     secretStore: MemorySecretStore())
        let error = await doorpassError("enrolment at a busy issuer") {
            try await wallet.startEnrolment(subject: "demo-kim", now: nowSeconds())
        }
        guard case let .RateLimited(retryAfterSeconds)? = error else {
            return XCTFail("expected RateLimited, got \(String(describing: error))")
        }
        XCTAssertGreaterThanOrEqual(retryAfterSeconds, 1)
        XCTAssertEqual(wallet.state(), .notEnrolled)
    }

    func testUnreachableIssuerIsOffline() async throws {
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"),
                                     config: try walletConfig(try TestEnv.downIssuerUrl()),
                                     secretStore: MemorySecretStore())
        let error = await doorpassError("enrolment with the issuer down") {
            try await wallet.startEnrolment(subject: "demo-kim", now: nowSeconds())
        }
        guard case let .Offline(detail)? = error else {
            return XCTFail("expected Offline, got \(String(describing: error))")
        }
        XCTAssertFalse(detail.isEmpty)
        XCTAssertEqual(wallet.state(), .notEnrolled)
    }

    func testCompleteWithoutEnrolmentAndQrWithoutPass() async throws {
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"),
                                     config: try walletConfig(try TestEnv.issuerUrl()),
                                     secretStore: MemorySecretStore())
        let complete = await doorpassError("completeEnrolment with nothing started") {
            try await wallet.completeEnrolment(code: "123456", now: nowSeconds())
        }
        XCTAssertEqual(complete, .NoEnrolmentInProgress)
        let qr = await doorpassError("currentQr on an empty wallet") {
            try wallet.currentQr(passId: nil, now: nowSeconds(), staticCode: false)
        }
        XCTAssertEqual(qr, .NotEnrolled)
        XCTAssertTrue(wallet.passes(now: nowSeconds()).isEmpty)
    }

    func testEmptySubjectIsInvalidInput() async throws {
        let store = MemorySecretStore()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"),
                                     config: try walletConfig(try TestEnv.issuerUrl()),
                                     secretStore: store)
        for subject in ["", "   "] {
            let error = await doorpassError("subject '\(subject)'") {
                try await wallet.startEnrolment(subject: subject, now: nowSeconds())
            }
            guard case let .InvalidInput(detail)? = error else {
                XCTFail("subject '\(subject)': expected InvalidInput, got \(String(describing: error))")
                continue
            }
            XCTAssertFalse(detail.isEmpty, "the detail is words for people")
        }
        XCTAssertTrue(store.sets.isEmpty, "no key was made for an invalid subject")
        XCTAssertEqual(wallet.state(), .notEnrolled)
    }

    // MARK: Re-authentication

    func testRefusedRenewalLeadsToReauthentication() async throws {
        // Passes of the short issuer live 3 s and their refresh tokens no longer.
        let short = try TestEnv.shortIssuerUrl()
        let wallet = try Wallet.open(home: freshFolder(self, "wallet"), config: try walletConfig(short),
                                     secretStore: MemorySecretStore())
        let t0 = nowSeconds()
        let enrolled = try await enrol(wallet, issuerUrl: short, subject: "demo-kim")
        XCTAssertEqual(enrolled.holderName, "Kim Minji")
        XCTAssertLessThanOrEqual(enrolled.expiresAt, nowSeconds() + 4, "a 3-second pass")

        try await sleepSeconds(4)
        let later = t0 + 5
        let renewals = try await wallet.renewIfDue(now: later)
        XCTAssertEqual(renewals.map(\.passId), [enrolled.id])
        guard case let .reauthenticationRequired(reason)? = renewals.first?.outcome else {
            return XCTFail("expected reauthenticationRequired, got \(renewals)")
        }
        XCTAssertFalse(reason.isEmpty)

        // "Renew now" does not renew either.
        let now = try await wallet.renewNow(passId: enrolled.id, now: later)
        guard case .reauthenticationRequired = now else {
            return XCTFail("expected renewNow to need re-authentication, got \(now)")
        }
        let passes = wallet.passes(now: later)
        XCTAssertEqual(passes.map(\.id), [enrolled.id])
        XCTAssertEqual(passes.first?.state, .reauthenticationRequired)
        XCTAssertNil(wallet.nextRenewalAt(), "nothing to renew until re-authenticated")

        // The pass in hand is kept and still drawn.
        let qr = try wallet.currentQr(passId: enrolled.id, now: later, staticCode: false)
        XCTAssertTrue(qr.text.hasPrefix("DP1:"))
        XCTAssertEqual(qr.state, .reauthenticationRequired)
        XCTAssertEqual(qr.holderName, "Kim Minji")
        XCTAssertEqual(Int(qr.size) * Int(qr.size), qr.modules.count)

        // Re-authenticate with a new code: same pass slot, active again.
        let pending = try await wallet.reauthenticate(passId: enrolled.id, now: nowSeconds())
        XCTAssertTrue(pending.reauthentication)
        XCTAssertEqual(pending.subject, "demo-kim")
        let code = try await devCode(issuerUrl: short, subject: "demo-kim")
        let renewed = try await wallet.completeEnrolment(code: code, now: nowSeconds())
        XCTAssertEqual(renewed.id, enrolled.id)
        XCTAssertEqual(renewed.state, .active)
        XCTAssertEqual(renewed.holderName, "Kim Minji")
        XCTAssertGreaterThan(renewed.expiresAt, enrolled.expiresAt)
        XCTAssertEqual(wallet.passes(now: nowSeconds()).count, 1)
        XCTAssertNotNil(wallet.nextRenewalAt(), "renewal is scheduled again")
    }

    // MARK: Wipe

    func testWipeRemovesPassesSecretsAndFiles() async throws {
        // On the short issuer, to leave the main issuer's enrolment budget to other tests.
        let short = try TestEnv.shortIssuerUrl()
        let home = freshFolder(self, "wallet")
        let store = MemorySecretStore()
        let wallet = try Wallet.open(home: home, config: try walletConfig(short), secretStore: store)
        let enrolled = try await enrol(wallet, issuerUrl: short, subject: "demo-lee")
        XCTAssertEqual(wallet.passes(now: nowSeconds()).map(\.id), [enrolled.id])
        let files = FileManager.default
        XCTAssertTrue(files.fileExists(atPath: (home as NSString).appendingPathComponent("identity.json")))
        XCTAssertTrue(files.fileExists(atPath: (home as NSString).appendingPathComponent("passes")))
        XCTAssertFalse(store.storedNames.isEmpty)

        try await wallet.wipe()

        let qr = await doorpassError("currentQr after wipe") {
            try wallet.currentQr(passId: nil, now: nowSeconds(), staticCode: false)
        }
        XCTAssertEqual(qr, .Wiped)
        XCTAssertTrue(wallet.passes(now: nowSeconds()).isEmpty)
        let left = (try? files.contentsOfDirectory(atPath: home)) ?? []
        XCTAssertEqual(left, [], "no wallet file is left in the folder")
        XCTAssertEqual(store.storedNames, [], "every secret was deleted")
    }

    /// Wipe removes only the wallet's own files: a folder the app also uses is kept, and no call on
    /// the wiped wallet may put wallet files back into it.
    func testCallsAfterWipeWriteNothingIntoAKeptFolder() async throws {
        let main = try TestEnv.issuerUrl()
        let home = freshFolder(self, "wallet")
        let wallet = try Wallet.open(home: home, config: try walletConfig(main),
                                     secretStore: MemorySecretStore())
        let appFile = (home as NSString).appendingPathComponent("app-notes.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: appFile, contents: Data("app".utf8)))
        try await wallet.wipe()
        let contents = { ((try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []).sorted() }
        XCTAssertEqual(contents(), ["app-notes.txt"], "wipe kept the app's file and removed its own")

        let now = nowSeconds()
        let start = await doorpassError("startEnrolment after wipe") {
            try await wallet.startEnrolment(subject: "demo-kim", now: now)
        }
        XCTAssertEqual(start, .Wiped, "startEnrolment")
        XCTAssertEqual(contents(), ["app-notes.txt"], "after startEnrolment")
        let refresh = await doorpassError("refreshTrustList after wipe") {
            try await wallet.refreshTrustList(now: now)
        }
        XCTAssertEqual(refresh, .Wiped, "refreshTrustList")
        XCTAssertEqual(contents(), ["app-notes.txt"], "after refreshTrustList")
    }

    /// "Every later call on this object fails with `Wiped`" (Wallet.wipe), and none writes files.
    func testEveryCallAfterWipeFailsWithWiped() async throws {
        let main = try TestEnv.issuerUrl()
        let home = freshFolder(self, "wallet")
        let wallet = try Wallet.open(home: home, config: try walletConfig(main),
                                     secretStore: MemorySecretStore())
        try await wallet.wipe()
        let now = nowSeconds()
        let start = await doorpassError("startEnrolment after wipe") {
            try await wallet.startEnrolment(subject: "demo-kim", now: now)
        }
        XCTAssertEqual(start, .Wiped, "startEnrolment")
        let complete = await doorpassError("completeEnrolment after wipe") {
            try await wallet.completeEnrolment(code: "123456", now: now)
        }
        XCTAssertEqual(complete, .Wiped, "completeEnrolment")
        let renew = await doorpassError("renewNow after wipe") {
            try await wallet.renewNow(passId: "0123abcd", now: now)
        }
        XCTAssertEqual(renew, .Wiped, "renewNow")
        let refresh = await doorpassError("refreshTrustList after wipe") {
            try await wallet.refreshTrustList(now: now)
        }
        XCTAssertEqual(refresh, .Wiped, "refreshTrustList")
        let cancel = await doorpassError("cancelEnrolment after wipe") {
            try wallet.cancelEnrolment()
        }
        XCTAssertEqual(cancel, .Wiped, "cancelEnrolment")
        let qr = await doorpassError("currentQr after wipe") {
            try wallet.currentQr(passId: nil, now: now, staticCode: false)
        }
        XCTAssertEqual(qr, .Wiped, "currentQr")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []
        XCTAssertEqual(left, [], "no call after wipe writes into the folder")
    }
}
