// The door staff's tab: the camera scans a guest's code and the screen turns large green or red with
// the reason, the holder's name and birth date to compare with an ID card, and the trust list's age.
// Checking needs no network; the trust list is refreshed when the network allows.

import AVFoundation
import DoorpassViewModels
import SwiftUI
import UIKit

/// The door screen, drawn from `VerifyViewModel.state`.
@MainActor
struct VerifyView: View {
    @ObservedObject var model: VerifyViewModel
    let settings: DoorSettingsViewModel
    @State private var camera = CameraAccess.unknown
    @State private var showingSettings = false

    /// The door screen of `model`, with the door settings of `settings`.
    init(model: VerifyViewModel, settings: DoorSettingsViewModel) {
        _model = ObservedObject(wrappedValue: model)
        self.settings = settings
    }

    var body: some View {
        NavigationView {
            VStack(spacing: 0) {
                if model.state.result == .idle {
                    scanner
                } else {
                    DoorResultView(result: model.state.result) { model.clear() }
                }
                TrustListFooter(age: model.state.trustListAge, stale: model.state.trustListStale)
            }
            .navigationTitle(UiText("door_title").localized)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .navigationBarTrailing) {
                    Button(UiText("door_settings_title").localized) { showingSettings = true }
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
        .onChange(of: model.state.result) { result in
            switch result {
            case .idle: break
            case .valid: UINotificationFeedbackGenerator().notificationOccurred(.success)
            case .refused, .failed: UINotificationFeedbackGenerator().notificationOccurred(.error)
            }
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
                QrScanner { text in model.verify(text) }
                    .ignoresSafeArea(edges: .horizontal)
                Text(UiText("door_scan_hint").localized)
                    .font(.headline)
                    .foregroundColor(.white)
                    .padding(12)
                    .background(Capsule().fill(Color.black.opacity(0.6)))
                    .padding(.bottom, 24)
            }
        }
    }
}

/// The large result: green to let in, red to refuse, orange when no check could be made.
@MainActor
struct DoorResultView: View {
    let result: DoorResult
    let onNextGuest: () -> Void

    var body: some View {
        VStack(spacing: 14) {
            Spacer()
            switch result {
            case .idle:
                EmptyView()
            case let .valid(holderName, birthDate, kind, validity, revocation, key):
                verdict(UiText("door_valid"), symbol: "checkmark.circle.fill")
                Text(UiText("door_compare_id").localized)
                    .font(.headline)
                Text(holderName)
                    .font(.largeTitle.bold())
                Text(UiText("door_birth_date", birthDate).localized)
                    .font(.title.bold())
                Text(kind.localized)
                    .font(.title3)
                Text(validity.localized)
                    .font(.title3)
                if let revocation {
                    Text(revocation.localized)
                        .font(.title3)
                }
                Text(key.localized)
                    .font(.title3)
            case let .refused(reason):
                verdict(UiText("door_refused"), symbol: "xmark.octagon.fill")
                Text(reason.localized)
                    .font(.title2)
            case let .failed(error):
                Image(systemName: "exclamationmark.triangle.fill")
                    .font(.system(size: 88))
                    .accessibilityHidden(true)
                Text(error.text.localized)
                    .font(.title2)
            }
            Spacer()
            Button(action: onNextGuest) {
                Text(UiText("door_next_guest").localized)
                    .font(.title2.bold())
                    .frame(maxWidth: .infinity)
                    .padding()
            }
            .background(RoundedRectangle(cornerRadius: 14).fill(Color.white.opacity(0.25)))
            .padding(.horizontal, 24)
            .padding(.bottom, 16)
        }
        .multilineTextAlignment(.center)
        .foregroundColor(.white)
        .padding(.horizontal, 16)
        .frame(maxWidth: .infinity, maxHeight: .infinity)
        .background(background.ignoresSafeArea(edges: .horizontal))
        .accessibilityElement(children: .combine)
    }

    private func verdict(_ text: UiText, symbol: String) -> some View {
        VStack(spacing: 8) {
            Image(systemName: symbol)
                .font(.system(size: 96))
                .accessibilityHidden(true)
            Text(text.localized)
                .font(.system(size: 44, weight: .heavy))
        }
    }

    private var background: Color {
        switch result {
        case .idle: return .clear
        case .valid: return Color(red: 0.05, green: 0.55, blue: 0.2)
        case .refused: return Color(red: 0.75, green: 0.1, blue: 0.1)
        case .failed: return Color(red: 0.8, green: 0.45, blue: 0.0)
        }
    }
}

/// The trust list's age, and a note when it is due for an update.
@MainActor
struct TrustListFooter: View {
    let age: UiText?
    let stale: Bool

    var body: some View {
        VStack(spacing: 4) {
            if let age {
                Text(age.localized)
            }
            if stale {
                Label(UiText("trust_list_stale").localized, systemImage: "arrow.triangle.2.circlepath")
                    .foregroundColor(.orange)
            }
        }
        .font(.footnote)
        .padding(8)
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

/// The camera preview, reporting each QR code it reads (once per appearance).
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
    /// Receives the first code read since the view appeared.
    var onCode: ((String) -> Void)?
    private let session = AVCaptureSession()
    private let sessionQueue = DispatchQueue(label: "org.doorpass.scanner")
    private var preview: AVCaptureVideoPreviewLayer?
    private var delivered = false

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
        delivered = false
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
        guard !delivered else { return }
        delivered = true
        onCode?(text)
    }
}
