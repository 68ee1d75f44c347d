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

    /// QA: points the wallet at another issuer (explicitly replacing the recorded one). The handle
    /// in use is closed first (its call under way ends and is stored), then the new one is opened
    /// off the main actor, so it reads everything the old one wrote.
    public func switchIssuer(_ url: String) async throws {
        try await replace(issuerUrl: url, replaceIssuer: true)
    }

    /// Opens the wallet again (after a wipe, a fresh one), closing the handle it replaces first.
    public func reopen() async throws {
        try await replace(issuerUrl: issuerUrl, replaceIssuer: false)
    }

    /// Closes the handle in use, then opens its replacement for `url` off the main actor. If that
    /// fails, the wallet is opened again as it was (so the app keeps a working handle) and the
    /// error is thrown.
    private func replace(issuerUrl url: String, replaceIssuer: Bool) async throws {
        let (replaced, previousUrl) = { () -> (Wallet, String) in
            lock.lock(); defer { lock.unlock() }
            return (openWallet, currentIssuerUrl)
        }()
        // Waits for a renewal still running on it, so it cannot write after the new handle read.
        try? await replaced.close()
        do {
            let reopened = try await Task.detached(priority: .userInitiated) { [self] in
                try open(issuerUrl: url, replaceIssuer: replaceIssuer)
            }.value
            install(reopened, issuerUrl: url)
        } catch {
            if let again = try? await Task.detached(priority: .userInitiated, operation: { [self] in
                try open(issuerUrl: previousUrl, replaceIssuer: false)
            }).value {
                install(again, issuerUrl: previousUrl)
            }
            throw error
        }
    }

    private func install(_ wallet: Wallet, issuerUrl url: String) {
        lock.lock(); defer { lock.unlock() }
        openWallet = wallet
        currentIssuerUrl = url
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
