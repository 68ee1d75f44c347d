#!/usr/bin/env bash
# Usage: scripts/build-android.sh
#
# Builds libdoorpass_ffi.so (profile release-small) for arm64-v8a, armeabi-v7a and x86_64 into
# android/doorpass/src/main/jniLibs/<abi>/ and generates the Kotlin bindings into
# android/doorpass/src/main/kotlin/ (the Gradle module android/doorpass builds both into its AAR).
# Needs the Android NDK (r23+; ANDROID_NDK_HOME, or the newest under $ANDROID_HOME/ndk) and cargo-ndk
# (`cargo install cargo-ndk`). Env: ANDROID_MIN_SDK (24); ANDROID_ABIS, a space-separated subset of
# "arm64-v8a armeabi-v7a x86_64" (all three by default; "x86_64" alone for an emulator or CI).
# Without the NDK, scripts/check-mobile-targets.sh still compiles (not links) these targets.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "build-android.sh: $*" >&2; exit 1; }

package=doorpass-ffi
profile=release-small
min_sdk=${ANDROID_MIN_SDK:-24}
read -r -a abis <<<"${ANDROID_ABIS:-arm64-v8a armeabi-v7a x86_64}"
[ "${#abis[@]}" -gt 0 ] || die "ANDROID_ABIS is empty"
triples=()
for abi in "${abis[@]}"; do
  case "$abi" in
    arm64-v8a) triples+=(aarch64-linux-android) ;;
    armeabi-v7a) triples+=(armv7-linux-androideabi) ;;
    x86_64) triples+=(x86_64-linux-android) ;;
    *) die "unknown ABI '$abi' in ANDROID_ABIS (arm64-v8a, armeabi-v7a, x86_64)" ;;
  esac
done
jnilibs=android/doorpass/src/main/jniLibs
kotlin_out=android/doorpass/src/main/kotlin
target_dir=${CARGO_TARGET_DIR:-$PWD/target}

# --- Tools first: fail before compiling anything.
command -v cargo-ndk >/dev/null 2>&1 || die "cargo-ndk is missing: cargo install cargo-ndk"
ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$ndk" ]; then
  for sdk in "${ANDROID_HOME:-}" "${ANDROID_SDK_ROOT:-}" "$HOME/Android/Sdk" "$HOME/Library/Android/sdk"; do
    [ -n "$sdk" ] || continue
    versions=("$sdk"/ndk/*/)
    [ -d "${versions[0]}" ] && ndk=$(printf '%s\n' "${versions[@]}" | sort -V | tail -n 1) && break
  done
fi
if [ -z "$ndk" ] || [ ! -f "$ndk/source.properties" ]; then
  die "no Android NDK found: install one (Android Studio > SDK Manager > NDK, or sdkmanager 'ndk;<version>') and set ANDROID_NDK_HOME"
fi
export ANDROID_NDK_HOME=${ndk%/}
readelf=$(compgen -G "$ANDROID_NDK_HOME/toolchains/llvm/prebuilt/*/bin/llvm-readelf" | head -n 1) ||
  die "no llvm-readelf in $ANDROID_NDK_HOME: is it a complete NDK?"
rustup target add "${triples[@]}" >/dev/null 2>&1 || die "rustup could not add ${triples[*]}"

# --- Build. cargo-ndk acts as the linker (NDK clang for the API level) and copies the .so files
# into jniLibs/<abi>/. The 16 KB page alignment comes from .cargo/config.toml (checked below).
ndk_args=()
for abi in "${abis[@]}"; do ndk_args+=(-t "$abi"); done
cargo ndk "${ndk_args[@]}" -P "$min_sdk" -o "$jnilibs" build -p "$package" --profile "$profile" --locked

for abi in "${abis[@]}"; do
  # cargo-ndk copies every cdylib cargo built, android-native-keyring-store's own one included
  # (lib<name>-<hash>.so); that code is already inside libdoorpass_ffi.so, so such copies go.
  for f in "$jnilibs/$abi"/lib*-*.so; do
    [[ $f =~ -[0-9a-f]{16}\.so$ ]] && rm -f "$f"
  done
  so=$jnilibs/$abi/libdoorpass_ffi.so
  [ -f "$so" ] || die "missing $so"
  # Every LOAD segment must be aligned to 16 KB or more (Android 15+ devices, Google Play).
  while read -r align; do
    ((align >= 0x4000)) || die "$so has a LOAD segment aligned to $align, not 16 KB (-Wl,-z,max-page-size=16384?)"
  done < <("$readelf" -lW "$so" | awk '$1 == "LOAD" { print $NF }')
done

# --- Kotlin bindings. release-small strips the .so, and uniffi reads its metadata from the symbol
# table, so they are generated from the (unstripped) static library built alongside it (any ABI's
# gives the same Kotlin).
cargo run -q -p uniffi-bindgen --locked -- generate \
  --library "$target_dir/${triples[0]}/$profile/libdoorpass_ffi.a" \
  --language kotlin --out-dir "$kotlin_out"

echo "build-android.sh: $(printf '%s ' "${abis[@]}")-> $jnilibs; Kotlin bindings -> $kotlin_out"
