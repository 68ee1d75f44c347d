// What the view-model tests share: the issuers scripts/test-bindings.sh started, the app's own
// string tables (Korean and English) read from ios/App/Resources, and a wallet host in a fresh
// folder with secrets in memory. The same scenarios as android/passui's tests, with subjects
// ui-sw-1 … ui-sw-6 (the script registers them as "UI Tester N", born 1990-01-01).

import DoorpassCore
import DoorpassViewModels
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// The loopback issuers and files the test script set up.
enum Shell {
    static func env(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw ShellSetupError("\(name) is not set: run the tests through scripts/test-bindings.sh")
        }
        return value
    }

    static func issuer() throws -> String { try env("DOORPASS_ISSUER_URL") }
    static func shortIssuer() throws -> String { try env("DOORPASS_SHORT_ISSUER_URL") }
    static func downIssuer() throws -> String { try env("DOORPASS_DOWN_ISSUER_URL") }
    /// An issuer that takes 3 s over every issuance call (enrolment, renewal).
    static func slowIssuer() throws -> String { try env("DOORPASS_SLOW_ISSUER_URL") }
    /// An issuer of this suite's own, which a test stops with `stopStoppableIssuer()`.
    static func stoppableIssuer() throws -> String { try env("DOORPASS_STOPPABLE_SW_ISSUER_URL") }

    /// Stops the stoppable issuer's process (SIGTERM; the test root shares the host's processes)
    /// and waits until it no longer answers (not for the process to be reaped: its parent has long
    /// exited).
    static func stopStoppableIssuer() throws {
        guard let pid = Int32(try env("DOORPASS_STOPPABLE_SW_ISSUER_PID")), kill(pid, SIGTERM) == 0 else {
            throw ShellSetupError("the stoppable issuer is not running")
        }
        let healthz = try XCTUnwrap(URL(string: try stoppableIssuer() + "/healthz"))
        for _ in 0..<50 {
            if !answers(healthz) { return }
            usleep(100_000)
        }
        throw ShellSetupError("the stoppable issuer still answers 10 s after SIGTERM")
    }

    /// Whether `url` gives any HTTP answer within 0.2 s.
    private static func answers(_ url: URL) -> Bool {
        var request = URLRequest(url: url)
        request.timeoutInterval = 0.2
        let done = DispatchSemaphore(value: 0)
        let answered = AnsweredFlag()
        URLSession.shared.dataTask(with: request) { _, response, _ in
            answered.value = response != nil
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 1)
        return answered.value
    }

    /// Written once by the request's completion, read after the semaphore.
    private final class AnsweredFlag: @unchecked Sendable {
        var value = false
    }

    static func anchor() throws -> Anchor {
        .pem(text: try String(contentsOfFile: try env("DOORPASS_ANCHOR_PEM"), encoding: .utf8))
    }

    static func vectors() throws -> URL {
        URL(fileURLWithPath: try env("DOORPASS_VECTORS"), isDirectory: true)
    }

    /// The app's string tables for `language` ("en", "ko"): ios/App/Resources, which
    /// scripts/swift-tests.sh names in DOORPASS_STRINGS (`Localizable.strings` and the plurals of
    /// `Localizable.stringsdict`).
    static func strings(_ language: String) throws -> StringTable {
        let folder = URL(fileURLWithPath: try env("DOORPASS_STRINGS"), isDirectory: true)
            .appendingPathComponent("\(language).lproj")
        return try StringTable.read(folder.appendingPathComponent("Localizable.strings"),
                                    plurals: folder.appendingPathComponent("Localizable.stringsdict"),
                                    language: language)
    }

    static func english() throws -> StringTable { try strings("en") }
    static func korean() throws -> StringTable { try strings("ko") }
}

struct ShellSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Times in UTC, so that the tests do not depend on the machine's zone.
let utc = TimeFormat(timeZone: TimeZone(identifier: "UTC")!)

/// A parsed `Localizable.strings` and `Localizable.stringsdict`, as `Strings`. A key it lacks fails
/// the test and comes back as a pattern with a `%` in it, so that no sentence check can pass on it.
struct StringTable: Strings {
    let name: String
    let entries: [String: String]
    /// Each plural key's forms by CLDR category ("one", "other"), each with one `%ld`.
    let plurals: [String: [String: String]]
    let language: String

    func pattern(key: String) -> String {
        guard let pattern = entries[key] else {
            XCTFail("no string '\(key)' in \(name)")
            return "%missing:\(key)"
        }
        return pattern
    }

    /// The form Foundation would pick on a phone: CLDR's rule for English (`one` for 1) and Korean
    /// (`other` only), the two languages the app ships.
    func plural(key: String, count: Int) -> String {
        guard let forms = plurals[key] else {
            XCTFail("no plural '\(key)' in \(name)")
            return "%missing:\(key)"
        }
        let category = language == "en" && count == 1 ? "one" : "other"
        guard let form = forms[category] ?? forms["other"] else {
            XCTFail("plural '\(key)' in \(name) has no '\(category)' form")
            return "%missing:\(key)"
        }
        return form.replacingOccurrences(of: "%ld", with: String(count))
    }

    static func read(_ file: URL, plurals pluralsFile: URL, language: String) throws -> StringTable {
        let text = try String(contentsOf: file, encoding: .utf8)
        var parser = StringsFileParser(text, file: file.path)
        return StringTable(name: file.path, entries: try parser.entries(),
                           plurals: try readPlurals(pluralsFile), language: language)
    }

    /// The plural forms of a `.stringsdict`, checked as Xcode would use them: each entry's format is
    /// one variable `%#@n@`, a plural rule over one `ld` value, with an `other` form.
    static func readPlurals(_ file: URL) throws -> [String: [String: String]] {
        let data = try Data(contentsOf: file)
        guard let root = try PropertyListSerialization.propertyList(from: data, format: nil)
            as? [String: [String: Any]] else { throw ShellSetupError("\(file.path): not a dictionary of entries") }
        var plurals: [String: [String: String]] = [:]
        for (key, entry) in root {
            guard entry["NSStringLocalizedFormatKey"] as? String == "%#@n@",
                  let rule = entry["n"] as? [String: String],
                  rule["NSStringFormatSpecTypeKey"] == "NSStringPluralRuleType",
                  rule["NSStringFormatValueTypeKey"] == "ld", rule["other"] != nil else {
                throw ShellSetupError("\(file.path): '\(key)' is not a one-number plural with an 'other' form")
            }
            plurals[key] = rule.filter { !$0.key.hasPrefix("NSString") }
        }
        return plurals
    }
}

/// A strict reader of the `.strings` format Xcode compiles: `"key" = "value";` entries, `/* */`
/// and `//` comments, backslash escapes. Anything else is an error, as it is for Xcode.
struct StringsFileParser {
    private let scalars: [Unicode.Scalar]
    private let file: String
    private var index = 0

    init(_ text: String, file: String) {
        scalars = Array(text.unicodeScalars)
        self.file = file
    }

    mutating func entries() throws -> [String: String] {
        var entries: [String: String] = [:]
        while true {
            try skipBlanks()
            guard index < scalars.count else { return entries }
            let key = try quoted()
            try skipBlanks()
            try expect("=")
            try skipBlanks()
            let value = try quoted()
            try skipBlanks()
            try expect(";")
            guard entries.updateValue(value, forKey: key) == nil else { throw failure("'\(key)' twice") }
        }
    }

    private func failure(_ what: String) -> ShellSetupError {
        let line = scalars[..<min(index, scalars.count)].filter { $0 == "\n" }.count + 1
        return ShellSetupError("\(file):\(line): \(what)")
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func expect(_ scalar: Unicode.Scalar) throws {
        guard peek() == scalar else { throw failure("expected '\(scalar)', found '\(peek().map(String.init) ?? "end")'") }
        index += 1
    }

    private mutating func skipBlanks() throws {
        while let scalar = peek() {
            if scalar.properties.isWhitespace {
                index += 1
            } else if scalar == "/", peek(1) == "*" {
                index += 2
                while !(peek() == "*" && peek(1) == "/") {
                    guard peek() != nil else { throw failure("unclosed comment") }
                    index += 1
                }
                index += 2
            } else if scalar == "/", peek(1) == "/" {
                while let c = peek(), c != "\n" { index += 1 }
            } else {
                return
            }
        }
    }

    private mutating func quoted() throws -> String {
        try expect("\"")
        var out = String.UnicodeScalarView()
        while true {
            guard let scalar = peek() else { throw failure("unclosed string") }
            index += 1
            if scalar == "\"" { return String(out) }
            guard scalar == "\\" else { out.append(scalar); continue }
            guard let escaped = peek() else { throw failure("unclosed string") }
            index += 1
            switch escaped {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\"", "\\", "'": out.append(escaped)
            case "U", "u":
                let hex = String(String.UnicodeScalarView(scalars[index..<min(index + 4, scalars.count)]))
                guard let code = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(code) else {
                    throw failure("bad \\U escape")
                }
                index += 4
                out.append(decoded)
            default: throw failure("unknown escape \\\(escaped)")
            }
        }
    }
}

/// Secrets in memory, as the app's Keychain-backed store holds them.
final class InMemorySecrets: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: [String: Data] = [:]

    func get(name: String) throws -> Data? { lock.lock(); defer { lock.unlock() }; return secrets[name] }
    func set(name: String, secret: Data) throws { lock.lock(); defer { lock.unlock() }; secrets[name] = secret }
    func delete(name: String) throws { lock.lock(); defer { lock.unlock() }; secrets[name] = nil }
    func describe() -> String { "view-model test memory" }
}

/// A folder path under the temporary directory that does not exist yet; removed after the test.
func freshFolder(_ test: XCTestCase, _ label: String) -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("doorpass-ui-\(label)-\(UUID().uuidString)")
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// A wallet host in `home` (a fresh folder by default) for `issuerUrl`.
func freshHost(_ test: XCTestCase, _ issuerUrl: String, secrets: SecretStore = InMemorySecrets(),
               home: String? = nil) throws -> WalletHost {
    try WalletHost(home: home ?? freshFolder(test, "wallet"), anchor: try Shell.anchor(),
                   secretStore: secrets, issuerUrl: issuerUrl)
}

func sleepSeconds(_ seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
}

/// The code a dev issuer sent to `subject` (its `/dev/otp` route).
func sentCode(_ issuerUrl: String, _ subject: String) async throws -> String {
    guard let url = URL(string: "\(issuerUrl)/dev/otp/\(subject)") else {
        throw ShellSetupError("bad issuer URL \(issuerUrl)")
    }
    let body: Data = try await withCheckedThrowingContinuation { continuation in
        URLSession.shared.dataTask(with: URLRequest(url: url, timeoutInterval: 5)) { data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if let error {
                continuation.resume(throwing: error)
            } else if status == 200, let data {
                continuation.resume(returning: data)
            } else {
                continuation.resume(throwing: ShellSetupError("GET \(url.path) answered \(status)"))
            }
        }.resume()
    }
    struct Answer: Decodable { let code: String }
    return try JSONDecoder().decode(Answer.self, from: body).code
}

/// Enrols `subject` through the enrolment view model, as a person would; returns the new pass id.
@MainActor
func enrolThroughScreens(_ host: WalletHost, _ clock: DeviceClock, _ issuerUrl: String,
                         _ subject: String) async throws -> String {
    let enrol = EnrolViewModel(host: host, clock: clock, format: utc)
    await enrol.submitSubject(subject)
    guard case .enterCode = enrol.step else { throw ShellSetupError("after the subject: \(enrol.step)") }
    await enrol.submitCode(try await sentCode(issuerUrl, subject))
    guard case let .done(passId, _) = enrol.step else { throw ShellSetupError("after the code: \(enrol.step)") }
    return passId
}

/// A door pinned to the test anchor, its trust list fetched from `issuerUrl`.
@MainActor
func doorScreen(_ test: XCTestCase, _ issuerUrl: String, _ clock: DeviceClock) async throws -> VerifyViewModel {
    let door = try DoorVerifier.open(
        dir: freshFolder(test, "door"), anchor: try Shell.anchor(),
        config: DoorConfig(issuerUrl: issuerUrl, allowStaticCodes: false, clockToleranceSeconds: 0))
    let screen = VerifyViewModel(door: door, clock: clock, format: utc)
    if let failure = await screen.refreshTrustList() {
        throw ShellSetupError("the door could not fetch the trust list: \(failure)")
    }
    return screen
}
