// The door settings against the real core: a change applies to the next code at once, is handed to
// the app to keep, and every switch has a Korean and an English label and explanation.

import DoorpassCore
import DoorpassViewModels
import Foundation
import XCTest

/// A clock stopped at `at`.
private final class StoppedClock: DeviceClock {
    let at: UInt64
    init(_ at: UInt64) { self.at = at }
    func now() -> UInt64 { at }
}

final class DoorSettingsTests: XCTestCase {
    /// The shared vector `name`: its QR text and the time it is checked at.
    private func vector(_ name: String) throws -> (qr: String, at: UInt64) {
        let data = try Data(contentsOf: try Shell.vectors().appendingPathComponent("cases.json"))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(manifest["cases"] as? [[String: Any]])
        let found = try XCTUnwrap(cases.first { $0["name"] as? String == name })
        let at = try XCTUnwrap(found["at"] as? NSNumber).uint64Value
        return (try XCTUnwrap(found["qr_text"] as? String), at)
    }

    @MainActor
    func testADoorSettingAppliesToTheNextCodeAtOnceAndIsKept() async throws {
        let (plain, at) = try vector("valid_rotating")
        let pem = try String(contentsOf: try Shell.vectors().appendingPathComponent("anchor.pub.pem"), encoding: .utf8)
        let door = try DoorVerifier.open(dir: freshFolder(self, "settings"), anchor: .pem(text: pem),
                                         config: DoorSettings().config(issuerUrl: nil))
        let list = try Data(contentsOf: try Shell.vectors().appendingPathComponent("trust-list.cose"))
        _ = try door.updateTrustList(list: list, now: at)
        let screen = VerifyViewModel(door: door, clock: StoppedClock(at), format: utc)
        var kept: [DoorSettings] = []
        let settings = DoorSettingsViewModel(door: door, initial: DoorSettings(), issuerUrl: nil,
                                             save: { kept.append($0) })
        screen.verify(plain)
        guard case .valid = screen.state.result else { return XCTFail("refused: \(screen.state.result)") }

        settings.set(.refuseUnrevocable, on: true)
        screen.verify(plain)
        XCTAssertEqual(screen.state.result, .refused(reason: UiText("refusal_not_revocable")))
        XCTAssertEqual(kept, [DoorSettings(refuseUnrevocable: true)])
        XCTAssertEqual(settings.rows.map(\.isOn), [false, true, false, false])

        settings.set(.refuseUnrevocable, on: false)
        screen.verify(plain)
        guard case let .valid(verdict) = screen.state.result else {
            return XCTFail("refused: \(screen.state.result)")
        }
        XCTAssertEqual(verdict.key, UiText("key_assurance_unattested"))
        // A door that requires a hardware-bound key refuses this pass (its key is not attested).
        settings.set(.requireHardwareKey, on: true)
        screen.verify(plain)
        XCTAssertEqual(screen.state.result, .refused(reason: UiText("refusal_key_not_hardware_bound")))
        settings.set(.requireHardwareKey, on: false)
        // Settings given back at the next start are applied when the view model is made.
        _ = DoorSettingsViewModel(door: door, initial: DoorSettings(refuseUnrevocable: true), issuerUrl: nil)
        screen.verify(plain)
        XCTAssertEqual(screen.state.result, .refused(reason: UiText("refusal_not_revocable")))
    }

    func testEveryDoorSettingHasAKoreanAndAnEnglishLabelAndExplanation() throws {
        let texts = rowsOf(DoorSettings()).flatMap { [$0.label, $0.explanation] }
            + [UiText("door_settings_title"), UiText("door_settings_done"), UiText("refusal_not_revocable")]
            + [UiText("refusal_key_not_hardware_bound"), UiText("key_assurance_unattested")]
        let english = try Shell.english()
        let korean = try Shell.korean()
        for text in texts {
            let en = english.text(text)
            let ko = korean.text(text)
            XCTAssertFalse(en.isEmpty || ko.isEmpty, text.key)
            XCTAssertNotEqual(en, ko, text.key)
        }
    }
}
