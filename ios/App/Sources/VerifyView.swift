// The door staff's tab, built for a queue: the camera keeps scanning while a large verdict shows
// over it (green "valid", amber "check the ID", red with the reason, readable at arm's length), with
// its own sound and haptic and a VoiceOver announcement; the scanner takes the next code within a
// second, with no tap. A valid pass shows the initials and birth day and month; a tap shows the full
// name and birth date (never in the self-service kiosk layout). Below: today's counts from the check
// log, its CSV export, and the trust list's age. Checking needs no network.

import AudioToolbox
import AVFoundation
import CoreTransferable
import DoorpassCore
import DoorpassViewModels
import SwiftUI
import UIKit
import UniformTypeIdentifiers

/// The door screen, drawn from `VerifyViewModel.state`.
@MainActor
struct VerifyView: View {
    @ObservedObject var model: VerifyViewModel
    @ObservedObject var settings: DoorSettingsViewModel
    @State private var camera = CameraAccess.unknown
    @State private var showingSettings = false
    @State private var exportError: ErrorView?

    /// The door screen of `model`, with the door settings of `settings`.
    init(model: VerifyViewModel, settings: DoorSettingsViewModel) {
        _model = ObservedObject(wrappedValue: model)
        _settings = ObservedObject(wrappedValue: settings)
    }

    var body: some View {
        NavigationView {
            VStack(spacing: 0) {
                ZStack {
                    scanner
                    if model.state.result != .idle {
                        DoorResultView(state: model.state) { model.toggleIdentity() }
                            .transition(.opacity)
                    }
                }
                if !model.state.kiosk {
                    DoorFooter(state: model.state, exportError: exportError, export: writeExport)
                }
            }
            .navigationTitle(UiText("door_title").localized)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .navigationBarTrailing) {
                    if model.state.kiosk {
                        // Out of the guests' reach: a 2-second press where the button was.
                        Color.clear
                            .frame(width: 44, height: 44)
                            .contentShape(Rectangle())
                            .onLongPressGesture(minimumDuration: 2) { showingSettings = true }
                            .accessibilityHidden(true)
                    } else {
                        Button(UiText("door_settings_title").localized) { showingSettings = true }
                    }
                }
            }
            .sheet(isPresented: $showingSettings) {
                DoorSettingsView(model: settings) { showingSettings = false }
            }
        }
        .navigationViewStyle(.stack)
        .task {
            camera = await CameraAccess.request()
            await model.refreshTrustList()
        }
        .onAppear {
            model.setKiosk(settings.settings.kiosk)
            model.refreshSummary()
            // A door in a queue keeps its screen on.
            ScreenAwake.hold()
        }
        .onDisappear { ScreenAwake.release() }
        .onChange(of: settings.settings.kiosk) { model.setKiosk($0) }
        .onChange(of: model.state.result) { result in
            DoorFeedback.play(result)
        }
    }

    @ViewBuilder
    private var scanner: some View {
        switch camera {
        case .unknown:
            ProgressView()
                .frame(maxWidth: .infinity, maxHeight: .infinity)
        case .denied:
            Text(UiText("door_no_camera").localized)
                .multilineTextAlignment(.center)
                .padding(32)
                .frame(maxWidth: .infinity, maxHeight: .infinity)
        case .allowed:
            ZStack(alignment: .bottom) {
                QrScanner { text in _ = model.scan(text) }
                    .ignoresSafeArea(edges: .horizontal)
                Text(UiText("door_scan_hint").localized)
                    .font(.headline)
                    .foregroundColor(.white)
                    .multilineTextAlignment(.center)
                    .padding(12)
                    .background(Capsule().fill(Color.black.opacity(0.6)))
                    .padding(.bottom, 24)
            }
        }
    }

    /// Writes the check log's CSV to a temporary file for the share sheet, when it is shared (not
    /// before); `nil` and the error shown when it cannot be read or written.
    private func writeExport() -> URL? {
        switch model.exportCheckLog() {
        case let .success(log):
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(log.fileName)
            do {
                try Data(log.csv.utf8).write(to: url, options: .atomic)
                exportError = nil
                return url
            } catch {
                exportError = ErrorView(UiText("error_storage"), action: .retry)
                return nil
            }
        case let .failure(error):
            exportError = error
            return nil
        }
    }
}

/// The check log as something to share: the CSV file is written only when the person shares it.
@available(iOS 16.0, *)
struct CheckLogFile: Transferable {
    let write: @MainActor () -> URL?

    static var transferRepresentation: some TransferRepresentation {
        FileRepresentation(exportedContentType: .commaSeparatedText) { file in
            guard let url = await file.write() else { throw CocoaError(.fileWriteUnknown) }
            return SentTransferredFile(url)
        }
    }
}

/// The sound, the haptic and the VoiceOver announcement of each verdict: one of each per signal, so
/// that staff can tell valid, check-the-ID and refused apart without looking.
@MainActor
enum DoorFeedback {
    /// System sound ids, three distinct short sounds (AudioToolbox).
    private static let validSound: SystemSoundID = 1057
    private static let checkIdSound: SystemSoundID = 1103
    private static let refusedSound: SystemSoundID = 1073

    static func play(_ result: DoorResult) {
        guard let signal = result.signal else { return }
        let haptics = UINotificationFeedbackGenerator()
        switch signal {
        case .valid:
            haptics.notificationOccurred(.success)
            AudioServicesPlaySystemSound(validSound)
        case .checkId:
            haptics.notificationOccurred(.warning)
            AudioServicesPlaySystemSound(checkIdSound)
        case .refused:
            haptics.notificationOccurred(.error)
            AudioServicesPlaySystemSound(refusedSound)
        }
        if let announcement = result.announcement {
            UIAccessibility.post(notification: .announcement, argument: announcement.localized)
        }
    }
}

/// The large verdict over the scanner: readable at arm's length; in kiosk mode larger still and
/// without the identity.
@MainActor
struct DoorResultView: View {
    let state: DoorScreenState
    let onTap: () -> Void

    var body: some View {
        VStack(spacing: 14) {
            Spacer()
            switch state.result {
            case .idle:
                EmptyView()
            case let .valid(verdict):
                valid(verdict)
            case let .refused(reason):
                headline(UiText("door_refused"), symbol: "xmark.octagon.fill")
                Text(reason.localized)
                    .font(.system(size: 30, weight: .semibold))
            case let .failed(error):
                headline(nil, symbol: "exclamationmark.triangle.fill")
                Text(error.text.localized)
                    .font(.system(size: 30, weight: .semibold))
            }
            Spacer()
            if state.readyForNextCode {
                Label(UiText("door_scanner_ready").localized, systemImage: "qrcode.viewfinder")
                    .font(.title3.bold())
                    .padding(.bottom, 16)
            }
        }
        .multilineTextAlignment(.center)
        .foregroundColor(.white)
        .padding(.horizontal, 16)
        .frame(maxWidth: .infinity, maxHeight: .infinity)
        .background(background.opacity(0.94).ignoresSafeArea(edges: .horizontal))
        .contentShape(Rectangle())
        .onTapGesture(perform: onTap)
        .accessibilityElement(children: .combine)
        .accessibilityAddTraits(state.kiosk ? [] : .isButton)
    }

    @ViewBuilder
    private func valid(_ verdict: ValidVerdict) -> some View {
        if verdict.signal == .checkId {
            headline(UiText("door_check_id"), symbol: "person.text.rectangle.fill")
        } else {
            headline(UiText("door_valid"), symbol: "checkmark.circle.fill")
        }
        if state.identityShown {
            Text(verdict.holderName)
                .font(.system(size: 40, weight: .bold))
            Text(UiText("door_birth_date", verdict.birthDate).localized)
                .font(.system(size: 32, weight: .bold))
        } else {
            Text(verdict.initials)
                .font(.system(size: state.kiosk ? 72 : 60, weight: .heavy))
            Text(verdict.birthday.localized)
                .font(.system(size: 30, weight: .bold))
        }
        if !state.kiosk {
            Text(verdict.kind.localized).font(.title3)
            Text(verdict.validity.localized).font(.title3)
            if let revocation = verdict.revocation {
                Text(revocation.localized).font(.title3)
            }
            Text(verdict.key.localized).font(.title3)
            Text(UiText(state.identityShown ? "door_hide_full" : "door_show_full").localized)
                .font(.headline)
                .padding(.top, 8)
        }
    }

    private func headline(_ text: UiText?, symbol: String) -> some View {
        VStack(spacing: 8) {
            Image(systemName: symbol)
                .font(.system(size: state.kiosk ? 160 : 120))
                .accessibilityHidden(true)
            if let text {
                Text(text.localized)
                    .font(.system(size: state.kiosk ? 64 : 52, weight: .heavy))
                    .minimumScaleFactor(0.5)
                    .lineLimit(2)
            }
        }
    }

    private var background: Color {
        switch state.result.signal {
        case .valid: return Color(red: 0.05, green: 0.55, blue: 0.2)
        case .checkId: return Color(red: 0.85, green: 0.55, blue: 0.0)
        case .refused:
            if case .failed = state.result { return Color(red: 0.8, green: 0.4, blue: 0.0) }
            return Color(red: 0.75, green: 0.1, blue: 0.1)
        case nil: return .clear
        }
    }
}

/// Today's counts, the CSV export, and the trust list's age with a note when it is due an update.
@MainActor
struct DoorFooter: View {
    let state: DoorScreenState
    let exportError: ErrorView?
    /// Writes the CSV and gives its file (at share time).
    let export: @MainActor () -> URL?

    var body: some View {
        VStack(spacing: 6) {
            if let summary = state.todaySummary {
                Text(summary.localized)
                    .font(.callout.weight(.semibold))
            }
            HStack(spacing: 12) {
                if let age = state.trustListAge {
                    Text(age.localized)
                }
                if #available(iOS 16.0, *) {
                    ShareLink(item: CheckLogFile(write: export),
                              preview: SharePreview(UiText("door_export_title").localized)) {
                        Label(UiText("door_export_csv").localized, systemImage: "square.and.arrow.up")
                    }
                } else {
                    Button {
                        if let url = export() { ShareSheet.present(url) }
                    } label: {
                        Label(UiText("door_export_csv").localized, systemImage: "square.and.arrow.up")
                    }
                }
            }
            if let exportError {
                Text(exportError.text.localized).foregroundColor(.red)
            }
            if state.trustListStale {
                Label(UiText("trust_list_stale").localized, systemImage: "arrow.triangle.2.circlepath")
                    .foregroundColor(.orange)
            }
        }
        .font(.footnote)
        .padding(8)
    }
}

/// The system share sheet for a file, where ShareLink does not exist (iOS 15).
@MainActor
enum ShareSheet {
    static func present(_ url: URL) {
        let scene = UIApplication.shared.connectedScenes.compactMap { $0 as? UIWindowScene }.first
        guard var top = scene?.windows.first(where: \.isKeyWindow)?.rootViewController else { return }
        while let presented = top.presentedViewController { top = presented }
        let sheet = UIActivityViewController(activityItems: [url], applicationActivities: nil)
        sheet.popoverPresentationController?.sourceView = top.view
        top.present(sheet, animated: true)
    }
}

/// Whether the camera may be used.
enum CameraAccess {
    case unknown
    case allowed
    case denied

    /// Asks the first time; afterwards says what the person chose in Settings.
    static func request() async -> CameraAccess {
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized:
            return .allowed
        case .notDetermined:
            return await AVCaptureDevice.requestAccess(for: .video) ? .allowed : .denied
        default:
            return .denied
        }
    }
}

/// The camera preview, reporting every QR code it reads, as long as it shows: the view model decides
/// which to check (not the code on screen again, nothing while the scanner rests).
@MainActor
struct QrScanner: UIViewControllerRepresentable {
    /// Called on the main thread with the code's text.
    let onCode: (String) -> Void

    func makeUIViewController(context: Context) -> QrScannerController {
        let controller = QrScannerController()
        controller.onCode = onCode
        return controller
    }

    func updateUIViewController(_ controller: QrScannerController, context: Context) {
        controller.onCode = onCode
    }
}

/// An AVCaptureSession with a metadata output for QR codes, drawn full size.
final class QrScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
    /// Receives each code read (many times a second while a code is in view).
    var onCode: ((String) -> Void)?
    private let session = AVCaptureSession()
    private let sessionQueue = DispatchQueue(label: "org.doorpass.scanner")
    private var preview: AVCaptureVideoPreviewLayer?

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        guard let device = AVCaptureDevice.default(for: .video),
              let input = try? AVCaptureDeviceInput(device: device),
              session.canAddInput(input) else { return }
        session.addInput(input)
        let output = AVCaptureMetadataOutput()
        guard session.canAddOutput(output) else { return }
        session.addOutput(output)
        output.setMetadataObjectsDelegate(self, queue: .main)
        output.metadataObjectTypes = [.qr]
        let layer = AVCaptureVideoPreviewLayer(session: session)
        layer.videoGravity = .resizeAspectFill
        view.layer.addSublayer(layer)
        preview = layer
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewWillAppear(_ animated: Bool) {
        super.viewWillAppear(animated)
        let session = session
        sessionQueue.async {
            if !session.isRunning { session.startRunning() }
        }
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        let session = session
        sessionQueue.async {
            if session.isRunning { session.stopRunning() }
        }
    }

    /// Called by AVFoundation on the main queue (see `setMetadataObjectsDelegate`) with what it read.
    nonisolated func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput metadataObjects: [AVMetadataObject],
                                    from connection: AVCaptureConnection) {
        let codes = metadataObjects.compactMap { $0 as? AVMetadataMachineReadableCodeObject }
        guard let text = codes.first(where: { $0.type == .qr })?.stringValue else { return }
        Task { @MainActor [weak self] in self?.deliver(text) }
    }

    private func deliver(_ text: String) {
        onCode?(text)
    }
}
