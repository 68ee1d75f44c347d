// The door verifier through the Swift bindings: the shared DP1 vectors, and the errors a door app
// meets before it can check codes (no trust list, a list from another anchor, a clock far behind).

import Foundation
import XCTest
import DoorpassCore

final class VerifierTests: XCTestCase {
    private struct Vectors: Decodable {
        struct Case: Decodable {
            let name: String
            let qrText: String
            let at: UInt64
            let allowStatic: Bool
            let tolerance: UInt32
            let expected: String

            enum CodingKeys: String, CodingKey {
                case name, at, tolerance, expected
                case qrText = "qr_text"
                case allowStatic = "allow_static"
            }
        }

        let cases: [Case]
    }

    private func vectors() throws -> Vectors {
        let url = try TestEnv.vectorsDir().appendingPathComponent("cases.json")
        return try JSONDecoder().decode(Vectors.self, from: try Data(contentsOf: url))
    }

    private func vectorsAnchor() throws -> Anchor {
        let url = try TestEnv.vectorsDir().appendingPathComponent("anchor.pub.pem")
        return .pem(text: try String(contentsOf: url, encoding: .utf8))
    }

    private func vectorsTrustList() throws -> Data {
        try Data(contentsOf: try TestEnv.vectorsDir().appendingPathComponent("trust-list.cose"))
    }

    private func vectorsStatusList() throws -> Data {
        try Data(contentsOf: try TestEnv.vectorsDir().appendingPathComponent("status-list.cose"))
    }

    /// A verdict as the vectors name it.
    private func vectorCode(_ result: VerificationResult) -> String {
        switch result {
        case .valid:
            return "valid"
        case let .refused(reason, _):
            switch reason {
            case .malformed: return "malformed"
            case .unknownIssuer: return "unknown_issuer"
            case .badSignature: return "bad_signature"
            case .issuerKeyNotValidAtIssuance: return "issuer_key_not_valid_at_issuance"
            case .lifetimeTooLong: return "lifetime_too_long"
            case .notYetValid: return "not_yet_valid"
            case .expired: return "expired"
            case .staleCode: return "stale_step"
            case .futureCode: return "future_step"
            case .notFromHoldersPhone: return "bad_holder_proof"
            case .staticNotAccepted: return "static_refused"
            case .revoked: return "revoked"
            case .revocationNotChecked: return "revocation_not_checked"
            case .notRevocable: return "not_revocable"
            case .keyNotHardwareBound: return "key_not_hardware_bound"
            }
        }
    }

    func testADoorMayAcceptLongerPassesThanTheDefault() throws {
        let vector = try XCTUnwrap(try vectors().cases.first { $0.name == "lifetime_longer_than_policy" })
        func verdict(_ maxDays: UInt32) throws -> String {
            let door = try DoorVerifier.open(
                dir: freshFolder(self, "lifetime"), anchor: try vectorsAnchor(),
                config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0,
                                   maxPassLifetimeDays: maxDays))
            _ = try door.updateTrustList(list: try vectorsTrustList(), now: vector.at)
            return vectorCode(try door.verify(qrText: vector.qrText, now: vector.at))
        }
        XCTAssertEqual(try verdict(0), "lifetime_too_long", "the default: 400 days")
        XCTAssertEqual(try verdict(401), "valid")
        XCTAssertEqual(try verdict(30), "lifetime_too_long")
    }

    func testVectorsGiveTheExpectedVerdicts() throws {
        let cases = try vectors().cases
        var ran = 0
        var seen = Set<String>()
        for vector in cases {
            let door = try DoorVerifier.open(
                dir: freshFolder(self, "vector"), anchor: try vectorsAnchor(),
                config: DoorConfig(issuerUrl: nil, allowStaticCodes: vector.allowStatic,
                                   clockToleranceSeconds: vector.tolerance))
            let status = try door.updateTrustList(list: try vectorsTrustList(), now: vector.at)
            XCTAssertEqual(status.version, 7, "\(vector.name): the vectors' trust list is version 7")
            XCTAssertEqual(door.trustListStatus(now: vector.at)?.version, 7, vector.name)
            _ = try door.updateStatusList(list: try vectorsStatusList(), now: vector.at)
            let result = try door.verify(qrText: vector.qrText, now: vector.at)
            XCTAssertEqual(vectorCode(result), vector.expected, "vector \(vector.name)")
            ran += 1
            seen.insert(vector.expected)
        }
        XCTAssertEqual(ran, 27, "every vector ran")
        XCTAssertEqual(seen.count, 13, "the vectors cover valid and all twelve refusals a default door gives")
    }

    func testADoorKeepsItsStatusListAcrossARestartAndSaysWhenRevocationWasNotChecked() throws {
        let all = try vectors().cases
        let revoked = try XCTUnwrap(all.first { $0.name == "revoked_in_status_list" })
        let clear = try XCTUnwrap(all.first { $0.name == "valid_not_revoked_in_status_list" })
        let dir = freshFolder(self, "status")
        let config = DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 60)
        let first = try DoorVerifier.open(dir: dir, anchor: try vectorsAnchor(), config: config)
        _ = try first.updateTrustList(list: try vectorsTrustList(), now: clear.at)
        guard case .valid(_, _, _, _, _, _, .notChecked(nil), _, _, _) = try first.verify(qrText: clear.qrText, now: clear.at) else {
            return XCTFail("without a list the pass is valid, revocation not checked")
        }
        let held = try first.updateStatusList(list: try vectorsStatusList(), now: clear.at)
        XCTAssertEqual(held.uri, "https://kdca.kr/s/1")
        XCTAssertThrowsError(try first.updateStatusList(list: Data("not a list".utf8), now: clear.at))
        let again = try DoorVerifier.open(dir: dir, anchor: try vectorsAnchor(), config: config)
        XCTAssertEqual(again.statusLists(now: clear.at).map(\.uri), ["https://kdca.kr/s/1"])
        XCTAssertEqual(vectorCode(try again.verify(qrText: revoked.qrText, now: revoked.at)), "revoked")
        guard case .valid(_, _, _, _, _, _, .notRevoked(100), _, _, _) = try again.verify(qrText: clear.qrText, now: clear.at) else {
            return XCTFail("the list, 100 s old, does not revoke the other pass")
        }
        let strict = try DoorVerifier.open(
            dir: freshFolder(self, "strict"), anchor: try vectorsAnchor(),
            config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 60,
                               requireRevocationCheck: true))
        _ = try strict.updateTrustList(list: try vectorsTrustList(), now: clear.at)
        XCTAssertEqual(vectorCode(try strict.verify(qrText: clear.qrText, now: clear.at)), "revocation_not_checked")
    }

    func testADoorSetToRefuseUnrevocablePassesRefusesOnlyPassesNamingNoList() throws {
        let all = try vectors().cases
        let plain = try XCTUnwrap(all.first { $0.name == "valid_rotating" })
        let clear = try XCTUnwrap(all.first { $0.name == "valid_not_revoked_in_status_list" })
        let strict = DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 60,
                                requireRevocationCheck: true, refuseUnrevocable: true)
        let door = try DoorVerifier.open(dir: freshFolder(self, "unrevocable"), anchor: try vectorsAnchor(),
                                         config: strict)
        _ = try door.updateTrustList(list: try vectorsTrustList(), now: clear.at)
        XCTAssertEqual(vectorCode(try door.verify(qrText: plain.qrText, now: clear.at)), "not_revocable")
        _ = try door.updateStatusList(list: try vectorsStatusList(), now: clear.at)
        XCTAssertEqual(vectorCode(try door.verify(qrText: clear.qrText, now: clear.at)), "valid")
        // Door staff turn it off: the same door accepts the pass at once, saying it cannot be revoked.
        var relaxed = strict
        relaxed.refuseUnrevocable = false
        door.setConfig(config: relaxed)
        guard case .valid(_, _, _, _, _, _, .notRevocable, _, _, _) = try door.verify(qrText: plain.qrText, now: clear.at) else {
            return XCTFail("accepted once the setting is off, marked not revocable")
        }
    }

    func testAStatusListIsRefusedWhenExpiredOrDatedAheadOfTheDoorsClock() async throws {
        let at: UInt64 = 1_800_000_100
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "list-time"), anchor: try vectorsAnchor(),
            config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0))
        _ = try door.updateTrustList(list: try vectorsTrustList(), now: at)
        // The vectors' list is made at 1800000000 and expires 31 days later.
        for (now, says) in [(UInt64(1_800_000_000 + 31 * 86_400), "expired"), (UInt64(1_800_000_000 - 3_600), "after now")] {
            let error = await doorpassError("a list at \(now)") {
                try door.updateStatusList(list: try vectorsStatusList(), now: now)
            }
            guard case let .InvalidPassFromIssuer(detail)? = error else {
                return XCTFail("expected InvalidPassFromIssuer, got \(String(describing: error))")
            }
            XCTAssertTrue(detail.contains(says), detail)
        }
        XCTAssertTrue(door.statusLists(now: at).isEmpty)
        XCTAssertEqual(try door.updateStatusList(list: try vectorsStatusList(), now: at).issuerId, "KR-KDCA-TEST")
    }

    func testVerifyBeforeAnyTrustListThrowsNoTrustList() async throws {
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "door"), anchor: try vectorsAnchor(),
            config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0))
        XCTAssertNil(door.trustListStatus(now: nowSeconds()))
        let code = try XCTUnwrap(vectors().cases.first)
        let error = await doorpassError("verify without a trust list") {
            try door.verify(qrText: code.qrText, now: code.at)
        }
        XCTAssertEqual(error, .NoTrustList)
    }

    func testTrustListSignedByAnotherAnchorIsRefused() async throws {
        // A door pinned to the test issuers' anchor is offered the vectors' list.
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "door"), anchor: try TestEnv.anchor(),
            config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0))
        let code = try XCTUnwrap(vectors().cases.first)
        let error = await doorpassError("a trust list from another anchor") {
            try door.updateTrustList(list: try vectorsTrustList(), now: code.at)
        }
        guard case let .InvalidPassFromIssuer(detail)? = error else {
            return XCTFail("expected InvalidPassFromIssuer, got \(String(describing: error))")
        }
        XCTAssertFalse(detail.isEmpty)
        XCTAssertNil(door.trustListStatus(now: code.at), "nothing was kept")
        // And nothing to check codes against.
        let after = await doorpassError("verify after the refused list") {
            try door.verify(qrText: code.qrText, now: code.at)
        }
        XCTAssertEqual(after, .NoTrustList)
    }

    func testClockFarBeforeTheTrustListIsUntrustworthy() async throws {
        let code = try XCTUnwrap(vectors().cases.first { $0.expected == "valid" })
        let door = try DoorVerifier.open(
            dir: freshFolder(self, "door"), anchor: try vectorsAnchor(),
            config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0))
        _ = try door.updateTrustList(list: try vectorsTrustList(), now: code.at)
        let tenDaysEarlier = code.at - 10 * 86_400
        let error = await doorpassError("verify with the clock 10 days before the list") {
            try door.verify(qrText: code.qrText, now: tenDaysEarlier)
        }
        guard case let .ClockUntrustworthy(detail)? = error else {
            return XCTFail("expected ClockUntrustworthy, got \(String(describing: error))")
        }
        XCTAssertFalse(detail.isEmpty)
        // At the right time the same code is valid: the refusal was about the clock.
        XCTAssertEqual(vectorCode(try door.verify(qrText: code.qrText, now: code.at)), "valid")
    }
}
