// The one open wallet of the app, and reopening it when QA points it at another issuer or after a
// wipe. Also where "simulate offline" lives: the view models then make no network call at all.
// Opening reads files, fsyncs and takes the wallet's lock: the async entry points do it off the main
// actor, so the app's first frame and the QA panel never wait on the disk.

import DoorpassCore
import Foundation

/// Opens and holds the wallet kept in the app folder `home`. Safe to use from any thread (the
/// background renewal runs off the main one).
public final class WalletHost: @unchecked Sendable {
    private let home: String
    private let anchor: Anchor
    private let secretStore: SecretStore?
    private let allowPlainHttp: Bool
    private let bootClock: BootClock?
    private let holderSigner: HolderSigner?
    private let lock = NSLock()
    private var currentIssuerUrl: String
    private var offline = false
    private var openWallet: Wallet

    /// Opens the wallet in `home` for `issuerUrl`. `secretStore` is the app's Keychain-backed store
    /// (`nil`: the core's platform default); `allowPlainHttp` admits a QA issuer on the local
    /// network over plain `http://` (debug builds only); `bootClock` is the device's clock since
    /// boot (the app passes `MonotonicBootClock()`), which keeps codes on the true time when the
    /// phone's clock is set ahead or back (`nil`: the core reads its own); `holderSigner` is the
    /// holder key in the Secure Enclave (new enrolments bind it; passes with a software key move to
    /// it at their next authentication; `nil`: software keys in the secret store).
    public init(home: String, anchor: Anchor, secretStore: SecretStore?, issuerUrl: String,
                allowPlainHttp: Bool = false, bootClock: BootClock? = nil,
                holderSigner: HolderSigner? = nil) throws {
        self.home = home
        self.anchor = anchor
        self.secretStore = secretStore
        self.allowPlainHttp = allowPlainHttp
        self.bootClock = bootClock
        self.holderSigner = holderSigner
        currentIssuerUrl = issuerUrl
        openWallet = try WalletHost.open(home: home, anchor: anchor, secretStore: secretStore,
                                         allowPlainHttp: allowPlainHttp, bootClock: bootClock,
                                         holderSigner: holderSigner, issuerUrl: issuerUrl,
                                         replaceIssuer: false)
    }

    /// Opens the wallet as `init` does, on a background thread (never the main actor).
    public static func open(home: String, anchor: Anchor, secretStore: SecretStore?, issuerUrl: String,
                            allowPlainHttp: Bool = false, bootClock: BootClock? = nil,
                            holderSigner: HolderSigner? = nil) async throws -> WalletHost {
        try await Task.detached(priority: .userInitiated) {
            try WalletHost(home: home, anchor: anchor, secretStore: secretStore, issuerUrl: issuerUrl,
                           allowPlainHttp: allowPlainHttp, bootClock: bootClock, holderSigner: holderSigner)
        }.value
    }

    /// The issuer the wallet talks to.
    public var issuerUrl: String {
        lock.lock(); defer { lock.unlock() }
        return currentIssuerUrl
    }

    /// QA: behave as if there were no network (no call leaves the app).
    public var simulateOffline: Bool {
        get { lock.lock(); defer { lock.unlock() }; return offline }
        set { lock.lock(); defer { lock.unlock() }; offline = newValue }
    }

    /// The wallet; replaced by `switchIssuer(_:)` and `reopen()`.
    public var wallet: Wallet {
        lock.lock(); defer { lock.unlock() }
        return openWallet
    }

    /// QA: points the wallet at another issuer (explicitly replacing the recorded one), opened off
    /// the main actor; the replaced handle is closed.
    public func switchIssuer(_ url: String) async throws {
        let reopened = try await Task.detached(priority: .userInitiated) { [self] in
            try open(issuerUrl: url, replaceIssuer: true)
        }.value
        replace(with: reopened, issuerUrl: url)
    }

    /// Opens the wallet again (after a wipe, a fresh one), off the main actor; the replaced handle
    /// is closed.
    public func reopen() async throws {
        let url = issuerUrl
        let reopened = try await Task.detached(priority: .userInitiated) { [self] in
            try open(issuerUrl: url, replaceIssuer: false)
        }.value
        replace(with: reopened, issuerUrl: url)
    }

    /// Puts `reopened` in place and closes the handle it replaces, so that a renewal still running
    /// on the old one cannot write after the new one has read.
    private func replace(with reopened: Wallet, issuerUrl url: String) {
        lock.lock()
        let replaced = openWallet
        currentIssuerUrl = url
        openWallet = reopened
        lock.unlock()
        closeReplaced(replaced)
    }

    private func closeReplaced(_ replaced: Wallet) {
        // TODO(issue 23, engineer B): call `replaced.close()` (waits for calls in flight, releases
        // the wallet's lock) once `Wallet.close` is on main; remove this TODO then.
        _ = replaced
    }

    private func open(issuerUrl: String, replaceIssuer: Bool) throws -> Wallet {
        try WalletHost.open(home: home, anchor: anchor, secretStore: secretStore,
                            allowPlainHttp: allowPlainHttp, bootClock: bootClock,
                            holderSigner: holderSigner, issuerUrl: issuerUrl, replaceIssuer: replaceIssuer)
    }

    private static func open(home: String, anchor: Anchor, secretStore: SecretStore?,
                             allowPlainHttp: Bool, bootClock: BootClock?, holderSigner: HolderSigner?,
                             issuerUrl: String, replaceIssuer: Bool) throws -> Wallet {
        try Wallet.open(
            home: home,
            config: WalletConfig(issuerUrl: issuerUrl, anchor: anchor, allowPlainHttp: allowPlainHttp,
                                 httpTimeoutSeconds: 10, replaceIssuerUrl: replaceIssuer),
            secretStore: secretStore, bootClock: bootClock, holderSigner: holderSigner)
    }
}
