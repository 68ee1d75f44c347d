// The holder's tab: the enrolment screen until there is a pass, then the pass screen: the QR code
// drawn module by module from the core's matrix (with its light margin), full width, the screen
// brightened while it shows; the rotation countdown; name, kind and validity; the offline badge; the
// banner with its "Confirm it is me" button; several passes side by side, swiped. Refreshed every
// second from the wallet, which needs no network.

import Combine
import DoorpassCore
import DoorpassViewModels
import SwiftUI
import UIKit

/// The holder's tab: enrolment first, then the passes, with enrolment again in a sheet (another
/// pass, or re-authenticating one).
@MainActor
struct PassTab: View {
    @ObservedObject var pass: PassViewModel
    @ObservedObject var enrol: EnrolViewModel
    @State private var enrolSheetShown = false
    @Environment(\.scenePhase) private var scenePhase
    private let everySecond = Timer.publish(every: 1, on: .main, in: .common).autoconnect()

    /// The tab over the pass screen `pass` and the enrolment flow `enrol`.
    init(pass: PassViewModel, enrol: EnrolViewModel) {
        _pass = ObservedObject(wrappedValue: pass)
        _enrol = ObservedObject(wrappedValue: enrol)
    }

    var body: some View {
        NavigationView {
            Group {
                if pass.state.needsEnrolment {
                    EnrolView(model: enrol) { pass.refresh() }
                } else {
                    PassView(model: pass) { passId in
                        enrolSheetShown = true
                        Task { await enrol.reauthenticate(passId) }
                    }
                    .toolbar {
                        ToolbarItem(placement: .navigationBarTrailing) {
                            Button {
                                enrolSheetShown = true
                                Task { await enrol.cancel() }
                            } label: {
                                Image(systemName: "person.badge.plus")
                            }
                            .accessibilityLabel(Text(UiText("enrol_title").localized))
                        }
                    }
                }
            }
            .navigationBarTitleDisplayMode(.inline)
        }
        .navigationViewStyle(.stack)
        .sheet(isPresented: $enrolSheetShown, onDismiss: { pass.refresh() }) {
            NavigationView {
                EnrolView(model: enrol) { enrolSheetShown = false }
                    .toolbar {
                        ToolbarItem(placement: .cancellationAction) {
                            Button(UiText("enrol_cancel").localized) {
                                enrolSheetShown = false
                                Task { await enrol.cancel() }
                            }
                        }
                    }
            }
        }
        .onReceive(everySecond) { _ in pass.refresh() }
        .task {
            pass.refresh()
            await pass.renewQuietly()
        }
        .onChange(of: scenePhase) { phase in
            if phase == .active {
                Task { await pass.renewQuietly() }
            }
        }
    }
}

/// The passes, the offline badge and the banner.
@MainActor
struct PassView: View {
    @ObservedObject var model: PassViewModel
    /// Starts re-authenticating the pass with this id.
    let onReauthenticate: (String) -> Void
    @State private var shownPassId: String?
    @State private var brightness = ScreenBrightness()
    @Environment(\.scenePhase) private var scenePhase

    /// The pass screen of `model`; its banner button calls `onReauthenticate` with the pass id.
    init(model: PassViewModel, onReauthenticate: @escaping (String) -> Void) {
        _model = ObservedObject(wrappedValue: model)
        self.onReauthenticate = onReauthenticate
    }

    var body: some View {
        VStack(spacing: 12) {
            if let banner = model.state.banner {
                BannerView(text: banner, passId: model.state.reauthenticatePassId, onReauthenticate: onReauthenticate)
            }
            if model.state.offline {
                Label(UiText("offline_badge").localized, systemImage: "wifi.slash")
                    .font(.subheadline.weight(.semibold))
                    .padding(.horizontal, 12)
                    .padding(.vertical, 6)
                    .background(Capsule().fill(Color.orange.opacity(0.2)))
            }
            TabView(selection: $shownPassId) {
                ForEach(model.state.cards) { card in
                    PassCardView(card: card)
                        .tag(Optional(card.passId))
                }
            }
            .tabViewStyle(.page(indexDisplayMode: model.state.cards.count > 1 ? .always : .never))
            .indexViewStyle(.page(backgroundDisplayMode: .always))
        }
        .padding(.top, 8)
        .onAppear {
            brightness.raise()
            if shownPassId == nil { shownPassId = model.state.cards.first?.passId }
        }
        .onDisappear { brightness.restore() }
        .onChange(of: scenePhase) { phase in
            if phase == .active { brightness.raise() } else { brightness.restore() }
        }
    }
}

/// A notice above the passes, with "Confirm it is me" when it names a pass to re-authenticate.
@MainActor
struct BannerView: View {
    let text: UiText
    let passId: String?
    let onReauthenticate: (String) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(text.localized)
                .font(.callout)
                .fixedSize(horizontal: false, vertical: true)
            if let passId {
                Button(UiText("button_reauthenticate").localized) { onReauthenticate(passId) }
                    .buttonStyle(.borderedProminent)
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(12)
        .background(RoundedRectangle(cornerRadius: 12).fill(Color.yellow.opacity(0.25)))
        .padding(.horizontal)
    }
}

/// One pass: holder, kind, the code, the countdown and the validity.
@MainActor
struct PassCardView: View {
    let card: PassCard

    var body: some View {
        VStack(spacing: 10) {
            Text(card.holderName)
                .font(.title2.bold())
            Text(card.kind.localized)
                .font(.headline)
                .foregroundColor(.secondary)
            if let qr = card.qr {
                QrCodeView(qr: qr)
                    .accessibilityElement()
                    .accessibilityAddTraits(.isImage)
                    .accessibilityLabel(Text(card.accessibilityLabel.localized))
                Text(UiText("countdown", String(card.secondsUntilRotation)).localized)
                    .font(.subheadline.monospacedDigit())
                    .accessibilityHidden(true)
                ProgressView(value: Double(card.secondsUntilRotation), total: 30)
                    .padding(.horizontal, 48)
                    .accessibilityHidden(true)
            } else {
                Image(systemName: "qrcode")
                    .font(.system(size: 120))
                    .foregroundColor(.secondary)
                    .accessibilityHidden(true)
            }
            Text(card.validity.localized)
                .font(.subheadline)
            Spacer(minLength: 32)
        }
        .padding(.horizontal, 8)
    }
}

/// The QR code from the core's matrix: `size` × `size` modules (1 dark, 0 light) inside a light
/// margin of `quietZone` modules, each module a whole number of pixels so the edges stay sharp.
@MainActor
struct QrCodeView: View {
    let qr: QrView
    @Environment(\.displayScale) private var displayScale

    /// Draws `qr`.
    init(qr: QrView) {
        self.qr = qr
    }

    var body: some View {
        Canvas { context, canvasSize in
            // Nothing to draw on a zero-size canvas (before layout) or a malformed matrix.
            guard let layout = qrLayout(size: Int(qr.size), quietZone: Int(qr.quietZone),
                                        moduleCount: qr.modules.count, width: canvasSize.width,
                                        height: canvasSize.height, displayScale: displayScale) else { return }
            let side = Int(qr.size)
            let margin = Int(qr.quietZone)
            let module = CGFloat(layout.module)
            let origin = CGPoint(x: layout.originX, y: layout.originY)
            context.fill(Path(CGRect(origin: origin, size: CGSize(width: layout.side, height: layout.side))),
                         with: .color(.white))
            var dark = Path()
            for (index, value) in qr.modules.enumerated() where value == 1 {
                let column = CGFloat(margin + index % side)
                let row = CGFloat(margin + index / side)
                dark.addRect(CGRect(x: origin.x + column * module, y: origin.y + row * module,
                                    width: module, height: module))
            }
            context.fill(dark, with: .color(.black))
        }
        .aspectRatio(1, contentMode: .fit)
        .frame(maxWidth: .infinity)
    }
}

/// Full screen brightness while a code is shown (door scanners read a bright code better) and the
/// screen kept on (no auto-lock while the holder walks up to the door); the holder's own brightness
/// and auto-lock back afterwards.
@MainActor
final class ScreenBrightness {
    private var saved: CGFloat?

    /// Nothing saved yet (made wherever SwiftUI makes the view's state).
    nonisolated init() {}

    /// Brightens the screen and keeps it on, remembering the holder's brightness.
    func raise() {
        guard saved == nil else { return }
        saved = UIScreen.main.brightness
        UIScreen.main.brightness = 1
        ScreenAwake.hold()
    }

    /// Puts the holder's brightness and auto-lock back.
    func restore() {
        guard let saved else { return }
        UIScreen.main.brightness = saved
        ScreenAwake.release()
        self.saved = nil
    }
}

/// Auto-lock off while any screen that needs it shows (a pass's code, the door), counted so that
/// switching between them never turns it back on early.
@MainActor
enum ScreenAwake {
    private static var holders = 0

    /// One more screen keeps the display on.
    static func hold() {
        holders += 1
        UIApplication.shared.isIdleTimerDisabled = true
    }

    /// That screen has gone; auto-lock returns when none is left.
    static func release() {
        holders = max(holders - 1, 0)
        UIApplication.shared.isIdleTimerDisabled = holders > 0
    }
}
