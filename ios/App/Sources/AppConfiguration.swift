// What a build pins: the issuer URL and the trust anchor's public key. project.yml sets them as
// build settings (DOORPASS_ISSUER_URL, DOORPASS_ANCHOR_PUBLIC_KEY) that reach Info.plist; plain
// http is accepted only in debug builds, for a QA issuer on the local network.

import DoorpassCore
import Foundation

/// The issuer and anchor this build talks to and trusts.
struct AppConfiguration {
    /// The issuer's base URL.
    let issuerUrl: String
    /// The anchor key pinned at build time.
    let anchor: Anchor
    /// Plain `http://` to a QA issuer (debug builds only).
    let allowPlainHttp: Bool

    /// Why the build's configuration is unusable, for developers (never shown to holders).
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads `DoorpassIssuerURL` and `DoorpassAnchorPublicKey` (the base64 line of the issuer's
    /// `anchor.pub.pem`, between its BEGIN and END lines) from `bundle`'s Info.plist.
    static func load(from bundle: Bundle = .main) throws -> AppConfiguration {
        guard let issuerUrl = bundle.object(forInfoDictionaryKey: "DoorpassIssuerURL") as? String,
              !issuerUrl.isEmpty else {
            throw Missing(description: "set the DOORPASS_ISSUER_URL build setting (project.yml)")
        }
        guard let key = bundle.object(forInfoDictionaryKey: "DoorpassAnchorPublicKey") as? String,
              !key.isEmpty, Data(base64Encoded: key) != nil else {
            throw Missing(description: "set DOORPASS_ANCHOR_PUBLIC_KEY to the base64 line of anchor.pub.pem")
        }
        let pem = "-----BEGIN PUBLIC KEY-----\n\(key)\n-----END PUBLIC KEY-----\n"
        #if DEBUG
        let allowPlainHttp = true
        #else
        let allowPlainHttp = false
        #endif
        return AppConfiguration(issuerUrl: issuerUrl, anchor: .pem(text: pem), allowPlainHttp: allowPlainHttp)
    }
}
