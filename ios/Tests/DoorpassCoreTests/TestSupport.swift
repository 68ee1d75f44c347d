// Shared pieces of the DoorpassCore tests: the environment set by scripts/test-bindings.sh, fresh
// folders, a Swift secret store and logger (called back from Rust), the dev issuer's one-time codes
// over HTTP (over HTTPS with the test CA for the HTTPS issuer), and a helper that catches the one
// DoorpassError a call is expected to throw.
//
// The tests run against the real Rust core (libdoorpass_ffi) and real issuers on 127.0.0.1. Each
// dev issuer allows 5 enrolment starts per subject per 15 minutes and the Kotlin suite runs against
// the same issuers first, so these tests spread their enrolments over the demo subjects and issuers.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Security)
import Security
#endif
import XCTest
import DoorpassCore

enum TestEnv {
    static func value(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw TestSetupError("\(name) is not set: run the tests with scripts/test-bindings.sh")
        }
        return value
    }

    static func issuerUrl() throws -> String { try value("DOORPASS_ISSUER_URL") }
    static func busyIssuerUrl() throws -> String { try value("DOORPASS_BUSY_ISSUER_URL") }
    static func slowIssuerUrl() throws -> String { try value("DOORPASS_SLOW_ISSUER_URL") }
    static func shortIssuerUrl() throws -> String { try value("DOORPASS_SHORT_ISSUER_URL") }
    static func downIssuerUrl() throws -> String { try value("DOORPASS_DOWN_ISSUER_URL") }
    /// A dev issuer started with `--attestation require` (issue 22 part 3).
    static func attestingIssuerUrl() throws -> String { try value("DOORPASS_ATTESTING_ISSUER_URL") }
    /// The dev issuer over HTTPS, `https://127.0.0.1:PORT`, its certificate signed by the test CA.
    static func tlsIssuerUrl() throws -> String { try value("DOORPASS_TLS_ISSUER_URL") }

    /// The test CA's certificate (PEM), the root a test or QA build adds.
    static func testCaPem() throws -> String {
        try String(contentsOfFile: try value("DOORPASS_TEST_CA_PEM"), encoding: .utf8)
    }

    /// The SPKI pin of the HTTPS issuer's key.
    static func tlsIssuerKeyPin() throws -> String { try value("DOORPASS_TLS_ISSUER_KEY_PIN") }

    /// The SPKI pins of two keys no issuer has.
    static func unrelatedKeyPins() throws -> [String] {
        [try value("DOORPASS_TLS_UNRELATED_KEY_PIN_A"), try value("DOORPASS_TLS_UNRELATED_KEY_PIN_B")]
    }

    /// The anchor pinned by the test issuers (all of them share one issuer folder).
    static func anchor() throws -> Anchor {
        .pem(text: try String(contentsOfFile: try value("DOORPASS_ANCHOR_PEM"), encoding: .utf8))
    }

    /// The test issuers' signed trust list.
    static func trustList() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try value("DOORPASS_TRUST_LIST")))
    }

    static func vectorsDir() throws -> URL {
        URL(fileURLWithPath: try value("DOORPASS_VECTORS"), isDirectory: true)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Device time in Unix seconds.
func nowSeconds() -> UInt64 {
    UInt64(Date().timeIntervalSince1970)
}

func sleepSeconds(_ seconds: Double) async throws {
    try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
}

/// A folder path under the temporary directory that does not exist yet; removed after the test.
func freshFolder(_ test: XCTestCase, _ label: String) -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("doorpass-swift-\(label)-\(UUID().uuidString)")
    test.addTeardownBlock {
        try? FileManager.default.removeItem(atPath: path)
    }
    return path
}

/// `replaceIssuerUrl`: reopen a wallet made for another issuer URL (the tests' "issuer is gone").
func walletConfig(_ issuerUrl: String, replaceIssuerUrl: Bool = false) throws -> WalletConfig {
    WalletConfig(issuerUrl: issuerUrl, anchor: try TestEnv.anchor(), allowPlainHttp: false,
                 httpTimeoutSeconds: 0, replaceIssuerUrl: replaceIssuerUrl)
}

/// A secret store kept in memory, as an app would back it with the Keychain. Counts the calls Rust
/// makes and remembers the names; values are only compared, never printed.
final class MemorySecretStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var secrets: [String: Data] = [:]
    private var getNames: [String] = []
    private var setNames: [String] = []
    private var deleteNames: [String] = []
    private var allValues: [Data] = []
    /// When set, every get and set throws this (a locked device).
    private let failure: SecretStoreFailure?

    init(failingWith failure: SecretStoreFailure? = nil) {
        self.failure = failure
    }

    func get(name: String) throws -> Data? {
        lock.lock()
        defer { lock.unlock() }
        getNames.append(name)
        if let failure { throw failure }
        return secrets[name]
    }

    func set(name: String, secret: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        setNames.append(name)
        if let failure { throw failure }
        secrets[name] = secret
        allValues.append(secret)
    }

    func delete(name: String) throws {
        lock.lock()
        defer { lock.unlock() }
        deleteNames.append(name)
        secrets[name] = nil
    }

    func describe() -> String {
        "the tests' in-memory store"
    }

    var gets: [String] { lock.lock(); defer { lock.unlock() }; return getNames }
    var sets: [String] { lock.lock(); defer { lock.unlock() }; return setNames }
    var deletes: [String] { lock.lock(); defer { lock.unlock() }; return deleteNames }
    var storedNames: [String] { lock.lock(); defer { lock.unlock() }; return secrets.keys.sorted() }
    /// Every value ever stored (to check they never show up elsewhere).
    var everStored: [Data] { lock.lock(); defer { lock.unlock() }; return allValues }

    /// The value stored under the only name containing `kind`, if exactly one does.
    func value(ofOnly kind: String) -> Data? {
        lock.lock()
        defer { lock.unlock() }
        let matches = secrets.filter { $0.key.contains(kind) }
        return matches.count == 1 ? matches.first?.value : nil
    }
}

/// Receives the core's log lines.
final class RecordingLogger: DoorpassCore.Logger, @unchecked Sendable {
    struct Line {
        let level: LogLevel
        let target: String
        let message: String
    }

    private let lock = NSLock()
    private var recorded: [Line] = []

    func log(level: LogLevel, target: String, message: String) {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(Line(level: level, target: target, message: message))
    }

    var lines: [Line] { lock.lock(); defer { lock.unlock() }; return recorded }
}

/// A logger that drops everything, installed after a test that recorded lines.
final class SilentLogger: DoorpassCore.Logger, @unchecked Sendable {
    func log(level: LogLevel, target: String, message: String) {}
}

#if canImport(Security)
/// Trusts a server whose chain ends at the test CA, and only there; names and dates are checked as
/// usual. Apple platforms only: Foundation on Linux never asks a delegate about server trust.
final class TestCaTrust: NSObject, URLSessionDelegate {
    private let anchors: [SecCertificate]

    init(pem: String) throws {
        let base64 = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: base64),
              let certificate = SecCertificateCreateWithData(nil, der as CFData) else {
            throw TestSetupError("DOORPASS_TEST_CA_PEM is not a PEM certificate")
        }
        anchors = [certificate]
    }

    func urlSession(_ session: URLSession, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        guard challenge.protectionSpace.authenticationMethod == NSURLAuthenticationMethodServerTrust,
              let trust = challenge.protectionSpace.serverTrust else {
            return completionHandler(.performDefaultHandling, nil)
        }
        SecTrustSetAnchorCertificates(trust, anchors as CFArray)
        SecTrustSetAnchorCertificatesOnly(trust, true)
        if SecTrustEvaluateWithError(trust, nil) {
            completionHandler(.useCredential, URLCredential(trust: trust))
        } else {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }
}
#endif

/// The session for `url`: for https, one that trusts the test CA. On Apple platforms a delegate
/// anchors the check at it; on Linux URLSession (libcurl) reads only the system's CA bundle (corelibs
/// Foundation's URLSessionCertificateAuthorityInfoFile is read on Android only), and
/// scripts/swift-tests.sh adds the test CA to the bundle of the root the tests run in.
func session(for url: URL) throws -> URLSession {
    guard url.scheme == "https" else { return URLSession.shared }
    #if canImport(Security)
    return URLSession(configuration: .ephemeral, delegate: try TestCaTrust(pem: try TestEnv.testCaPem()),
                      delegateQueue: nil)
    #else
    return URLSession.shared
    #endif
}

/// GET `url`, expecting 200.
func httpGet(_ url: URL) async throws -> Data {
    let session = try session(for: url)
    return try await withCheckedThrowingContinuation { continuation in
        let task = session.dataTask(with: url) { data, response, error in
            if let error {
                continuation.resume(throwing: error)
                return
            }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200, let data else {
                continuation.resume(throwing: TestSetupError("GET \(url.path) answered \(status)"))
                return
            }
            continuation.resume(returning: data)
        }
        task.resume()
        if session !== URLSession.shared { session.finishTasksAndInvalidate() }
    }
}

/// The one-time code the dev issuer at `issuerUrl` last sent to `subject`.
func devCode(issuerUrl: String, subject: String) async throws -> String {
    guard let url = URL(string: "\(issuerUrl)/dev/otp/\(subject)") else {
        throw TestSetupError("bad issuer URL \(issuerUrl)")
    }
    struct Answer: Decodable { let code: String }
    return try JSONDecoder().decode(Answer.self, from: try await httpGet(url)).code
}

/// Another code of the same length: every digit changed.
func wrongCode(for code: String) -> String {
    String(code.map { c -> Character in
        let d = c.wholeNumberValue ?? 0
        return Character(String((d + 1) % 10))
    })
}

/// Starts an enrolment for `subject`, reads its code from the dev issuer and completes it.
func enrol(_ wallet: Wallet, issuerUrl: String, subject: String,
           file: StaticString = #filePath, line: UInt = #line) async throws -> PassSummary {
    let pending = try await wallet.startEnrolment(subject: subject, now: nowSeconds())
    XCTAssertEqual(pending.subject, subject, file: file, line: line)
    XCTAssertFalse(pending.reauthentication, file: file, line: line)
    let code = try await devCode(issuerUrl: issuerUrl, subject: subject)
    XCTAssertEqual(code.count, Int(pending.codeLength), "the code has codeLength digits",
                   file: file, line: line)
    return try await wallet.completeEnrolment(code: code, now: nowSeconds())
}

/// Runs `body`, which must throw a DoorpassError, and returns that error (nil after recording a
/// failure when it returned or threw something else).
func doorpassError<T>(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                      _ body: () async throws -> T) async -> DoorpassError? {
    do {
        _ = try await body()
        XCTFail("\(what): expected a DoorpassError, but the call succeeded", file: file, line: line)
    } catch let error as DoorpassError {
        return error
    } catch {
        XCTFail("\(what): expected a DoorpassError, got \(error)", file: file, line: line)
    }
    return nil
}

/// A door verifier pinned to the test issuers' anchor, with their trust list loaded from the file.
func doorWithTrustList(_ test: XCTestCase, now: UInt64) throws -> DoorVerifier {
    let door = try DoorVerifier.open(
        dir: freshFolder(test, "door"), anchor: try TestEnv.anchor(),
        config: DoorConfig(issuerUrl: nil, allowStaticCodes: false, clockToleranceSeconds: 0))
    _ = try door.updateTrustList(list: try TestEnv.trustList(), now: now)
    return door
}

/// The holder data of a `.valid` result, or nil after recording a failure.
func validHolder(_ result: VerificationResult, file: StaticString = #filePath, line: UInt = #line)
    -> (name: String, birthDate: String, kind: PassKind, wasStatic: Bool)? {
    switch result {
    case let .valid(holderName, birthDate, kind, _, issuerId, wasStatic, _, _, _, _):
        XCTAssertFalse(issuerId.isEmpty, "a valid result names its issuer", file: file, line: line)
        return (holderName, birthDate, kind, wasStatic)
    case let .refused(reason, message):
        XCTFail("the door refused the code: \(reason) (\(message))", file: file, line: line)
        return nil
    }
}
