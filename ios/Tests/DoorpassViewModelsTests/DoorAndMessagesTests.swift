// The door screen on valid, expired, screenshot-old and foreign codes; every error, refusal and
// pass kind the core can name has a Korean and an English sentence; and the QA panel and the
// background renewal on a real wallet.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

final class DoorAndMessagesTests: XCTestCase {
    @MainActor
    func testTheDoorScreenSaysValidExpiredScreenshotAndForeign() async throws {
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        _ = try await enrolThroughScreens(host, clock, issuer, "ui-sw-4")
        let door = try await doorScreen(self, issuer, clock)
        func verdict(_ code: String) -> DoorResult {
            door.verify(code)
            return door.state.result
        }
        let now = clock.now()
        guard case .valid = verdict(try host.wallet.currentQr(passId: nil, now: now, staticCode: false).text) else {
            return XCTFail("the live code was refused: \(door.state.result)")
        }
        // A screenshot: today's code shown five minutes later. (Drawing a code for five minutes ago
        // is no longer possible: the wallet keeps codes on the time measured since the issuer's answer.)
        let screenshot = try host.wallet.currentQr(passId: nil, now: now, staticCode: false).text
        clock.offsetSeconds = 300
        XCTAssertEqual(verdict(screenshot), .refused(reason: UiText("refusal_stale_code")))
        clock.offsetSeconds = 0

        let short = try Shell.shortIssuer()
        let shortHost = try freshHost(self, short)
        _ = try await enrolThroughScreens(shortHost, clock, short, "ui-sw-5")
        try await sleepSeconds(3.2)
        XCTAssertEqual(verdict(try shortHost.wallet.currentQr(passId: nil, now: clock.now(), staticCode: false).text),
                       .refused(reason: UiText("refusal_expired")))

        let cases = try String(contentsOf: try Shell.vectors().appendingPathComponent("cases.json"), encoding: .utf8)
        let foreign = try XCTUnwrap(firstQrText(in: cases), "a qr_text in cases.json")
        XCTAssertEqual(verdict(foreign), .refused(reason: UiText("refusal_unknown_issuer")))

        let age = try XCTUnwrap(door.state.trustListAge)
        XCTAssertFalse(try Shell.korean().text(age).trimmingCharacters(in: .whitespaces).isEmpty)
        XCTAssertTrue(try Shell.english().text(age).hasPrefix("Trust list"))
        door.clear()
        XCTAssertEqual(door.state.result, .idle)
    }

    func testEveryErrorRefusalAndKindHasAKoreanAndAnEnglishSentence() throws {
        let errors: [DoorpassError] = [
            .Offline(detail: "x"), .RateLimited(retryAfterSeconds: 90), .ReauthenticationRequired,
            .InvalidCode(attemptsLeft: 2), .CodeExpired, .CodeAttemptsExhausted, .NotEligible,
            .IssuerRefused(detail: "x"), .InvalidPassFromIssuer(detail: "x"), .Storage(detail: "x"),
            .KeystoreUnavailable(detail: "x"), .ClockUntrustworthy(detail: "x"), .NotEnrolled,
            .NoEnrolmentInProgress, .UnknownPass(passId: "x"), .PassNotChosen, .PassMissing, .PassRevoked, .InUse,
            .Wiped, .NoTrustList, .InvalidInput(detail: "x"), .Internal(reason: "x"),
            .UntrustedCertificate(detail: "x"), .CertificatePinMismatch(detail: "x"),
            .CertificateNotValidNow(detail: "x"), .AttestationRequired, .AttestationRefused(reason: "x"),
        ]
        let refusals: [RefusalReason] = [
            .malformed, .unknownIssuer, .badSignature, .issuerKeyNotValidAtIssuance, .lifetimeTooLong,
            .notYetValid, .expired, .staleCode, .futureCode, .notFromHoldersPhone, .staticNotAccepted,
            .revoked, .revocationNotChecked, .notRevocable, .keyNotHardwareBound,
        ]
        let assurances: [KeyAssurance] = [.unattested, .androidTee, .androidStrongBox, .appleAppAttest]
        let kinds: [PassKind?] = [.vaccination, .recovery, .medicalExemption, .negativeTest, nil]
        // Every variant, once (the numbering switches below do not compile when the core adds one).
        XCTAssertEqual(Set(errors.map(variantNumber)), Set(0..<28))
        XCTAssertEqual(Set(refusals.map(variantNumber)), Set(0..<15))
        XCTAssertEqual(Set(assurances.map(variantNumber)), Set(0..<4))
        XCTAssertEqual(Set(kinds.map(variantNumber)), Set(0..<5))

        let texts = errors.map { errorView($0, now: 1_800_000_000, format: utc).text }
            + refusals.map { UiText(refusalKey($0)) }
            + kinds.map { UiText(kindKey($0)) }
            + assurances.map { UiText(keyAssuranceKey($0)) }
        XCTAssertEqual(Set(texts.map(\.key)).count, texts.count, "one sentence each")
        let english = try Shell.english()
        let korean = try Shell.korean()
        for text in texts {
            let en = english.text(text)
            let ko = korean.text(text)
            XCTAssertTrue(!en.isEmpty && !ko.isEmpty && !(en + ko).contains("%"), "\(text.key): \(en) / \(ko)")
            XCTAssertNotEqual(en, ko, text.key)
        }
        let rateLimited = errorView(.RateLimited(retryAfterSeconds: 90), now: 1_800_000_000, format: utc)
        XCTAssertEqual(english.text(rateLimited.text), "Too many attempts. Try again at 08:01.")
        XCTAssertTrue(korean.text(rateLimited.text).contains("08:01"))
        XCTAssertEqual(rateLimited.retryAt, 1_800_000_090)
        XCTAssertEqual(english.text(errorView(.InvalidCode(attemptsLeft: 2), now: 0, format: utc).text),
                       "That code is not right. 2 tries left.")
        XCTAssertTrue(korean.text(errorView(.Offline(detail: "x"), now: 0, format: utc).text)
            .contains("지금 가진 패스는 그대로"))
        // Both tables have the same keys, and a nested text is resolved in the table's own language.
        XCTAssertEqual(Set(english.entries.keys), Set(korean.entries.keys))
        let label = UiText("a11y_pass_code", "Kim", UiText(kindKey(.vaccination)), "2027-01-15")
        XCTAssertEqual(english.text(label),
                       "QR code of Kim's vaccination pass, valid until 2027-01-15. Show it to the door staff.")
        XCTAssertTrue(korean.text(label).contains("예방접종"))
    }

    @MainActor
    func testTheQAPanelAndTheBackgroundRenewalOnARealWallet() async throws {
        let issuer = try Shell.issuer()
        let clock = ShiftedClock()
        let host = try freshHost(self, issuer)
        let log = LogBuffer(capacity: 3)
        let panel = QAPanelViewModel(host: host, clock: clock, log: log)
        XCTAssertEqual(panel.state.issuerUrl, issuer)
        XCTAssertEqual(issuerPresets().map(\.url), ["http://127.0.0.1:8080", "http://127.0.0.1:8081"])

        // No pass: nothing to schedule.
        let nothing = await runBackgroundRenewal(host: host, clock: clock)
        XCTAssertEqual(nothing, BackgroundRun(renewed: 0, nextRunAt: nil))
        _ = try await enrolThroughScreens(host, clock, issuer, "ui-sw-6")
        let pass = try XCTUnwrap(host.wallet.passes(now: clock.now()).first)
        let planned = await runBackgroundRenewal(host: host, clock: clock)
        XCTAssertEqual(planned.renewed, 0)
        let next = try XCTUnwrap(planned.nextRunAt)
        XCTAssertTrue((pass.renewAfter..<pass.renewAfter + 600).contains(next), "never before renew-after")

        panel.setSimulateOffline(true)
        XCTAssertEqual(panel.state.message, UiText("qa_offline_on"))
        let before = clock.now()
        let offline = await runBackgroundRenewal(host: host, clock: clock)
        XCTAssertEqual(offline.renewed, 0)
        XCTAssertTrue((before + 900...clock.now() + 900).contains(offline.nextRunAt ?? 0))
        panel.setSimulateOffline(false)

        panel.setClockOffset(Int64(pass.renewAfter) - Int64(clock.now()) + 5)
        XCTAssertEqual(panel.state.message, UiText("qa_clock_offset_set", String(panel.state.clockOffsetSeconds)))
        await panel.forceRenewal()
        XCTAssertEqual(panel.state.message, .plural("qa_renewed", count: 1))

        for n in 1...5 { log.log(level: .info, target: "test", message: "line \(n)") }
        panel.refreshLog()
        XCTAssertEqual(panel.state.lastLog, ["INFO test: line 3", "INFO test: line 4", "INFO test: line 5"])

        let down = try Shell.downIssuer()
        await panel.setIssuer(down)
        XCTAssertEqual(panel.state.issuerUrl, down)
        XCTAssertEqual(panel.state.message, UiText("qa_issuer_set", down))
        await panel.wipe()
        XCTAssertEqual(panel.state.message, UiText("qa_wiped"))
        XCTAssertEqual(host.wallet.passes(now: clock.now()), [], "a fresh wallet after the wipe")
    }
}

/// The first `"qr_text": "DP1:…"` of the vectors' cases.json (a code from the vectors' own issuer).
private func firstQrText(in json: String) -> String? {
    guard let key = json.range(of: "\"qr_text\"") else { return nil }
    let rest = json[key.upperBound...].drop { $0 == " " || $0 == ":" }
    guard rest.hasPrefix("\"DP1:") else { return nil }
    return String(rest.dropFirst().prefix { $0 != "\"" })
}

private func variantNumber(_ error: DoorpassError) -> Int {
    switch error {
    case .Offline: return 0
    case .RateLimited: return 1
    case .ReauthenticationRequired: return 2
    case .InvalidCode: return 3
    case .CodeExpired: return 4
    case .CodeAttemptsExhausted: return 5
    case .NotEligible: return 6
    case .IssuerRefused: return 7
    case .InvalidPassFromIssuer: return 8
    case .Storage: return 9
    case .KeystoreUnavailable: return 10
    case .ClockUntrustworthy: return 11
    case .NotEnrolled: return 12
    case .NoEnrolmentInProgress: return 13
    case .UnknownPass: return 14
    case .PassNotChosen: return 15
    case .PassMissing: return 16
    case .InUse: return 17
    case .Wiped: return 18
    case .NoTrustList: return 19
    case .InvalidInput: return 20
    case .Internal: return 21
    case .PassRevoked: return 22
    case .UntrustedCertificate: return 23
    case .CertificatePinMismatch: return 24
    case .CertificateNotValidNow: return 25
    case .AttestationRequired: return 26
    case .AttestationRefused: return 27
    }
}

private func variantNumber(_ reason: RefusalReason) -> Int {
    switch reason {
    case .malformed: return 0
    case .unknownIssuer: return 1
    case .badSignature: return 2
    case .issuerKeyNotValidAtIssuance: return 3
    case .lifetimeTooLong: return 4
    case .notYetValid: return 5
    case .expired: return 6
    case .staleCode: return 7
    case .futureCode: return 8
    case .notFromHoldersPhone: return 9
    case .staticNotAccepted: return 10
    case .revoked: return 11
    case .revocationNotChecked: return 12
    case .notRevocable: return 13
    case .keyNotHardwareBound: return 14
    }
}

private func variantNumber(_ assurance: KeyAssurance) -> Int {
    switch assurance {
    case .unattested: return 0
    case .androidTee: return 1
    case .androidStrongBox: return 2
    case .appleAppAttest: return 3
    }
}

private func variantNumber(_ kind: PassKind?) -> Int {
    switch kind {
    case .vaccination: return 0
    case .recovery: return 1
    case .medicalExemption: return 2
    case .negativeTest: return 3
    case nil: return 4
    }
}
