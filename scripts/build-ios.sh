#!/usr/bin/env bash
# Usage: scripts/build-ios.sh
#
# On a Mac with Xcode: builds the static library libdoorpass_ffi.a (profile release-small) for
# aarch64-apple-ios and aarch64-apple-ios-sim, puts it with the C header and module map (module
# DoorpassCoreFFI) into ios/DoorpassCoreFFI.xcframework, and copies the generated Swift bindings
# to ios/Sources/DoorpassCore/DoorpassCore.swift. Env: IPHONEOS_DEPLOYMENT_TARGET (default 15.0,
# as ios/Package.swift); DOORPASS_MACOS_SLICE=1 adds a slice for this Mac (MACOSX_DEPLOYMENT_TARGET,
# default 12.0), so that `swift test` in ios/ runs the package's tests on the Mac itself.
# Without Xcode, scripts/check-mobile-targets.sh still compiles these targets.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "build-ios.sh: $*" >&2; exit 1; }

package=doorpass-ffi
profile=release-small
targets=(aarch64-apple-ios aarch64-apple-ios-sim)
xcframework=ios/DoorpassCoreFFI.xcframework
swift_out=ios/Sources/DoorpassCore
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-15.0}
export MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-12.0}

# --- Tools first: fail before compiling anything.
[ "$(uname -s)" = Darwin ] || die "needs macOS with Xcode (on Linux: scripts/check-mobile-targets.sh)"
if ! xcodebuild -version >/dev/null 2>&1; then
  die "xcodebuild is not usable: install Xcode and run 'sudo xcode-select -s /Applications/Xcode.app'"
fi
for sdk in iphoneos iphonesimulator; do
  xcrun --sdk "$sdk" --show-sdk-path >/dev/null 2>&1 || die "Xcode has no $sdk SDK"
done
if [ "${DOORPASS_MACOS_SLICE:-0}" = 1 ]; then
  case "$(uname -m)" in
    arm64) targets+=(aarch64-apple-darwin) ;;
    x86_64) targets+=(x86_64-apple-darwin) ;;
    *) die "no Rust target for this Mac ($(uname -m))" ;;
  esac
fi
rustup target add "${targets[@]}" >/dev/null 2>&1 || die "rustup could not add ${targets[*]}"

# --- Static libraries only: the cdylib is not needed on iOS, so it is not linked at all.
for t in "${targets[@]}"; do
  cargo rustc -p "$package" --lib --crate-type staticlib --profile "$profile" --target "$t" --locked
done

# --- Swift bindings, header and module map (uniffi reads the metadata from the static library).
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
cargo run -q -p uniffi-bindgen --locked -- generate \
  --library "$target_dir/aarch64-apple-ios/$profile/libdoorpass_ffi.a" \
  --language swift --out-dir "$gen"
for f in DoorpassCore.swift DoorpassCoreFFI.h DoorpassCoreFFI.modulemap; do
  [ -f "$gen/$f" ] || die "uniffi-bindgen wrote no $f"
done
# The headers go in a folder named after the module: Xcode copies every XCFramework's headers into
# one include folder, where two top-level module.modulemap files would clash.
# The module map also names the system libraries the Rust code needs (rustc's
# `--print native-static-libs`: Security, CoreFoundation, iconv), so importing the module links them.
headers=$gen/headers/DoorpassCoreFFI
mkdir -p "$headers"
cp "$gen/DoorpassCoreFFI.h" "$headers/"
[ "$(tail -n 1 "$gen/DoorpassCoreFFI.modulemap")" = "}" ] || die "unexpected module map from uniffi-bindgen"
{
  sed '$d' "$gen/DoorpassCoreFFI.modulemap"
  printf '    link framework "%s"\n' Security CoreFoundation
  printf '    link "iconv"\n}\n'
} >"$headers/module.modulemap"

# --- The XCFramework (xcodebuild refuses to overwrite one) and the Swift source.
rm -rf "$xcframework"
slices=()
for t in "${targets[@]}"; do
  slices+=(-library "$target_dir/$t/$profile/libdoorpass_ffi.a" -headers "$gen/headers")
done
xcodebuild -create-xcframework "${slices[@]}" -output "$xcframework"
mkdir -p "$swift_out"
cp "$gen/DoorpassCore.swift" "$swift_out/"

echo "build-ios.sh: $xcframework; Swift bindings -> $swift_out/DoorpassCore.swift"
