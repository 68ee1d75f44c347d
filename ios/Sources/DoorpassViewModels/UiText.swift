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

/// A string-table key and the values for its `%1$s`, `%2$s`… placeholders.
public struct UiText: Hashable, Sendable, UiTextArgumentConvertible {
    /// The string-table key.
    public let key: String
    /// The placeholder values, in order (`%1$s` first).
    public let args: [UiTextArgument]

    /// The text under `key` with placeholder values `args`.
    public init(_ key: String, args: [UiTextArgument]) {
        self.key = key
        self.args = args
    }

    /// The text under `key` with placeholder values `args` (strings or other texts).
    public init(_ key: String, _ args: any UiTextArgumentConvertible...) {
        self.init(key, args: args.map(\.uiTextArgument))
    }

    /// This text as a nested argument, resolved in the same language.
    public var uiTextArgument: UiTextArgument { .text(self) }
}

/// Turns `UiText` into a sentence in the device language (the app's bundle; a parsed table in tests).
public protocol Strings {
    /// The pattern stored under `key` (with `%1$s`-style placeholders).
    func pattern(key: String) -> String
}

extension Strings {
    /// The sentence for `text`, its nested texts resolved first.
    public func text(_ text: UiText) -> String {
        var sentence = pattern(key: text.key)
        for (index, argument) in text.args.enumerated() {
            let value: String
            switch argument {
            case let .plain(plain): value = plain
            case let .text(nested): value = self.text(nested)
            }
            sentence = sentence.replacingOccurrences(of: "%\(index + 1)$s", with: value)
        }
        return sentence
    }
}
