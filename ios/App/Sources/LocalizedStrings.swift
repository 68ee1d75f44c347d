// The app's side of `UiText`: the view models give a key and its arguments, and this looks the key
// up in Localizable.strings (en.lproj, ko.lproj) in the device language; plurals ("3 days") in
// Localizable.stringsdict, whose form Foundation picks by the language's plural rules.

import DoorpassViewModels
import Foundation

/// The app bundle's string tables, as the view models' `Strings`.
struct LocalizedStrings: Strings {
    /// The tables of the app bundle.
    static let app = LocalizedStrings(bundle: .main)

    /// The bundle whose `Localizable.strings` are read.
    let bundle: Bundle

    /// The pattern under `key` in the device language; the key itself when a table lacks it
    /// (scripts/check-shells.sh makes sure none does).
    func pattern(key: String) -> String {
        bundle.localizedString(forKey: key, value: nil, table: nil)
    }

    /// The plural under `key` for `count`: the `.stringsdict` entry's format, given only the number
    /// (no name ever reaches a format string).
    func plural(key: String, count: Int) -> String {
        let format = bundle.localizedString(forKey: key, value: nil, table: nil)
        let language = bundle.preferredLocalizations.first.map(Locale.init(identifier:)) ?? .current
        return String(format: format, locale: language, arguments: [count])
    }
}

extension UiText {
    /// This text as a sentence in the device language.
    var localized: String {
        LocalizedStrings.app.text(self)
    }
}
