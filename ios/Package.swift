// swift-tools-version:5.9
// The Swift face of Doorpass: the uniffi-generated bindings (module DoorpassCore) over the Rust
// cdylib's C interface (module DoorpassCoreFFI), and the iOS shell's view models in plain Swift
// (module DoorpassViewModels: Foundation and DoorpassCore only, tested here against the real core;
// the SwiftUI app in App/ draws what they say).
//
// Sources/DoorpassCore/DoorpassCore.swift is generated (`uniffi-bindgen generate --library
// libdoorpass_ffi.so --language swift`), not committed. On Linux, scripts/swift-tests.sh also puts
// the generated DoorpassCoreFFI.h and a module.modulemap (`link "doorpass_ffi"`) into
// Sources/DoorpassCoreFFI, and the .so where the linker and loader find it. On Apple platforms the
// C module and the static library come from DoorpassCoreFFI.xcframework beside this file.
//
// Tools version 5.9 keeps the Swift 5 language mode: the generated code is not Swift 6 strict-
// concurrency clean.
import PackageDescription

#if os(Linux)
let ffi: Target = .systemLibrary(name: "DoorpassCoreFFI", path: "Sources/DoorpassCoreFFI")
#else
let ffi: Target = .binaryTarget(name: "DoorpassCoreFFI", path: "DoorpassCoreFFI.xcframework")
#endif

let package = Package(
    name: "DoorpassCore",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "DoorpassCore", targets: ["DoorpassCore"]),
        .library(name: "DoorpassViewModels", targets: ["DoorpassViewModels"]),
    ],
    targets: [
        ffi,
        .target(name: "DoorpassCore", dependencies: ["DoorpassCoreFFI"], path: "Sources/DoorpassCore"),
        .target(name: "DoorpassViewModels", dependencies: ["DoorpassCore"], path: "Sources/DoorpassViewModels"),
        .testTarget(name: "DoorpassCoreTests", dependencies: ["DoorpassCore"], path: "Tests/DoorpassCoreTests"),
        .testTarget(name: "DoorpassViewModelsTests", dependencies: ["DoorpassViewModels", "DoorpassCore"],
                    path: "Tests/DoorpassViewModelsTests"),
    ]
)
