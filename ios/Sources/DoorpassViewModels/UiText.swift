// Text the screens show, as a key into the app's string table (iOS `Localizable.strings`, Android
// `strings.xml`, the same keys in Korean and English) plus its arguments. View models never hold
// finished sentences, so every sentence exists in both languages and tests can check it.

import Foundation

/// One value for a `%1$s`-style placeholder.
public enum UiTextArgument: Hashable, Sendable {
    /// Digits, names, times: shown as is.
    case plain(String)
    /// A word from the string table (e.g. the kind of pass), resolved before it is inserted.
    case text(UiText)
}

/// Something that can fill a placeholder of a `UiText`: a `String` or another `UiText`.
public protocol UiTextArgumentConvertible {
    /// This value as a placeholder argument.
    var uiTextArgument: UiTextArgument { get }
}

extension String: UiTextArgumentConvertible {
    /// The string, shown as is.
    public var uiTextArgument: UiTextArgument { .plain(self) }
}

/// A string-table key and the values for its `%1$s`, `%2$s`… placeholders; or, for a plural, a
/// `.stringsdict` key and the number that picks its form ("1 day", "2 days").
public struct UiText: Hashable, Sendable, UiTextArgumentConvertible {
    /// The string-table key.
    public let key: String
    /// The placeholder values, in order (`%1$s` first).
    public let args: [UiTextArgument]
    /// For a plural (`Localizable.stringsdict`): the number that picks the form and is shown in it.
    public let count: Int?

    /// The text under `key` with placeholder values `args`.
    public init(_ key: String, args: [UiTextArgument]) {
        self.key = key
        self.args = args
        count = nil
    }

    /// The text under `key` with placeholder values `args` (strings or other texts).
    public init(_ key: String, _ args: any UiTextArgumentConvertible...) {
        self.init(key, args: args.map(\.uiTextArgument))
    }

    private init(pluralKey: String, count: Int) {
        key = pluralKey
        args = []
        self.count = count
    }

    /// The plural under `key` (a `.stringsdict` entry whose one number is `count`).
    public static func plural(_ key: String, count: Int) -> UiText {
        UiText(pluralKey: key, count: count)
    }

    /// This text as a nested argument, resolved in the same language.
    public var uiTextArgument: UiTextArgument { .text(self) }
}

/// Turns `UiText` into a sentence in the device language (the app's bundle; parsed tables in tests).
public protocol Strings {
    /// The pattern stored under `key` (with `%1$s`-style placeholders).
    func pattern(key: String) -> String
    /// The plural under `key` for `count`, the number already in it ("3 days").
    func plural(key: String, count: Int) -> String
}

extension Strings {
    /// The sentence for `text`, its nested texts resolved first, its placeholders filled in one pass.
    public func text(_ text: UiText) -> String {
        if let count = text.count { return plural(key: text.key, count: count) }
        let values = text.args.map { argument -> String in
            switch argument {
            case let .plain(plain): return plain
            case let .text(nested): return self.text(nested)
            }
        }
        return fillPlaceholders(pattern(key: text.key), values)
    }
}

/// `pattern` with each `%N$s` (or `%N$@`) replaced by `values[N - 1]`, in ONE pass over the pattern:
/// a value is never searched for placeholders, so a name like "A %2$s B" or "%@" is shown as typed.
/// A placeholder without a value, and any other `%`, stay as they are.
public func fillPlaceholders(_ pattern: String, _ values: [String]) -> String {
    let scalars = Array(pattern.unicodeScalars)
    var out = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
        let scalar = scalars[index]
        guard scalar == "%" else {
            out.append(scalar)
            index += 1
            continue
        }
        var end = index + 1
        var number = 0
        while end < scalars.count, let digit = Int(String(scalars[end])), scalars[end].isASCII {
            number = number * 10 + digit
            end += 1
        }
        let isPlaceholder = end > index + 1 && end + 1 < scalars.count && scalars[end] == "$"
            && (scalars[end + 1] == "s" || scalars[end + 1] == "@")
        if isPlaceholder, number >= 1, number <= values.count {
            out.append(contentsOf: values[number - 1].unicodeScalars)
            index = end + 2
        } else {
            out.append(scalar)
            index += 1
        }
    }
    return String(out)
}
