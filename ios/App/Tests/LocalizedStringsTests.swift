// The app bundle's compiled string tables, as the screens read them: every key the view models can
// give resolves in English and in Korean (the Linux tests read the source tables; these read what
// Xcode built into the app).

import DoorpassCore
import DoorpassViewModels
import XCTest
@testable import Doorpass

final class LocalizedStringsTests: XCTestCase {
    private func table(_ language: String) throws -> LocalizedStrings {
        let path = try XCTUnwrap(Bundle.main.path(forResource: language, ofType: "lproj"), "\(language).lproj")
        return LocalizedStrings(bundle: try XCTUnwrap(Bundle(path: path)))
    }

    func testEveryErrorRefusalAndKindResolvesInBothLanguages() throws {
        let english = try table("en")
        let korean = try table("ko")
        let format = TimeFormat(timeZone: TimeZone(identifier: "UTC")!)
        let texts: [UiText] = [
            errorView(.Offline(detail: "x"), now: 0, format: format).text,
            errorView(.RateLimited(retryAfterSeconds: 90), now: 1_800_000_000, format: format).text,
            errorView(.InvalidCode(attemptsLeft: 2), now: 0, format: format).text,
            UiText(refusalKey(.staleCode)),
            UiText(refusalKey(.unknownIssuer)),
            UiText(kindKey(.vaccination)),
            UiText(kindKey(nil)),
            UiText("a11y_pass_code", "Kim", UiText(kindKey(.recovery)), "2027-01-15"),
        ]
        for text in texts {
            let en = english.text(text)
            let ko = korean.text(text)
            XCTAssertNotEqual(en, text.key, "\(text.key) is missing in en")
            XCTAssertNotEqual(ko, text.key, "\(text.key) is missing in ko")
            XCTAssertFalse((en + ko).contains("%"), "\(text.key): \(en) / \(ko)")
            XCTAssertNotEqual(en, ko, text.key)
        }
        XCTAssertEqual(english.text(texts[1]), "Too many attempts. Try again at 08:01.")
    }

    func testPluralsComeFromTheCompiledStringsdictAndNamesAreNotFormatStrings() throws {
        let english = try table("en")
        let korean = try table("ko")
        XCTAssertEqual(english.text(.plural("age_days", count: 1)), "1 day")
        XCTAssertEqual(english.text(.plural("age_days", count: 2)), "2 days")
        XCTAssertEqual(korean.text(.plural("age_days", count: 2)), "2일")
        XCTAssertEqual(english.text(UiText("door_summary_today_lists", UiText.plural("door_checked", count: 214),
                                           UiText.plural("door_refused_count", count: 3), ageText(7_200))),
                       "Today: 214 checked, 3 refused; lists 2 h old")
        let label = UiText("a11y_pass_code", "A %2$s B %@", UiText(kindKey(.vaccination)), "2027-01-15")
        XCTAssertTrue(english.text(label).contains("A %2$s B %@"), english.text(label))
    }
}
