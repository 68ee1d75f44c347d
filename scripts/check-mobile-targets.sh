#!/usr/bin/env bash
# Usage: scripts/check-mobile-targets.sh [PACKAGE]   (default: doorpass-ffi)
#
# `cargo check`s PACKAGE for the Android and iOS targets on a Debian/Linux machine that has neither
# the Android NDK nor Xcode. Only C code needs a target toolchain here (ring; aws-lc-sys too, were
# rustls's default provider back): Debian's clang compiles it, with glibc cross headers standing in
# for Bionic's and zig's copy of the Darwin libc headers standing in for the iOS SDK. Nothing is
# linked, so this proves the code compiles for every target; the real libraries come from
# scripts/build-android.sh and scripts/build-ios.sh.
#
# Installs what is missing: Debian clang/llvm and cross libc headers (apt), the rustup targets, and
# ziglang from PyPI into a venv under $DOORPASS_TOOLS (default ~/.cache/doorpass-tools).
# Env: DOORPASS_MOBILE_TARGETS="t1 t2" checks only those; CARGO_BUILD_JOBS, CARGO_TARGET_DIR as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

package=${1:-doorpass-ffi}
tools=${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}
read -r -a targets <<<"${DOORPASS_MOBILE_TARGETS:-aarch64-linux-android armv7-linux-androideabi x86_64-linux-android aarch64-apple-ios aarch64-apple-ios-sim}"
android_api=24 # the apps' minSdk: the API level the C code is compiled for
ios_min=15.0   # the apps' iOS deployment target (ios/Package.swift)
ziglang_version=0.17.1
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
[ "$(uname -s)" = Linux ] || { echo "check-mobile-targets.sh: for Linux hosts (on a Mac, use build-ios.sh)" >&2; exit 2; }

# --- Debian packages: clang + llvm-ar compile and archive the C code; the cross libc headers stand
# in for Bionic's (close enough for ring, and for aws-lc if a build brings it, which only need
# POSIX/Linux declarations).
scripts/apt-install.sh clang llvm libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-amd64-cross

# --- Rust standard libraries. Where rustup cannot fetch a target's std (here the mirror lacks
# aarch64-apple-ios-sim), std is compiled from rust-src instead (-Zbuild-std, see below).
build_std=()
installed=$(rustup target list --installed)
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" && continue
  if ! rustup target add "$t" >/dev/null 2>&1; then
    echo "check-mobile-targets.sh: no prebuilt std for $t; building it from rust-src"
    rustup component add rust-src >/dev/null 2>&1 || { echo "check-mobile-targets.sh: rustup could not add rust-src" >&2; exit 1; }
    build_std+=("$t")
  fi
done

# --- Darwin headers from zig (PyPI ziglang), in a venv of their own.
venv=$tools/ziglang-$ziglang_version
if [ ! -d "$venv/lib" ] || ! "$venv/bin/python" -c 'import ziglang' 2>/dev/null; then
  echo "check-mobile-targets.sh: installing ziglang $ziglang_version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==$ziglang_version"
fi
darwin_inc=$("$venv/bin/python" -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')/lib/libc/include/any-darwin-any
[ -f "$darwin_inc/stdlib.h" ] || { echo "check-mobile-targets.sh: no Darwin headers at $darwin_inc" >&2; exit 1; }

# --- Stand-in headers, (re)written only when their text changes.
put() { # put FILE: stdin into FILE unless it already holds exactly that
  mkdir -p "$(dirname "$1")"
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}
# zig's TargetConditionals.h relies on newer clang built-ins: with Debian's clang 14 it fails for
# iOS devices. This one answers for iOS only (device or simulator, arm64).
put "$tools/include/ios/TargetConditionals.h" <<'EOF'
/* Stand-in TargetConditionals.h for iOS (device and simulator) builds without Xcode. */
#ifndef TARGET_OS_MAC
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 0
#define TARGET_OS_IPHONE 1
#define TARGET_OS_IOS 1
#define TARGET_OS_WATCH 0
#define TARGET_OS_TV 0
#define TARGET_OS_VISION 0
#define TARGET_OS_MACCATALYST 0
#define TARGET_OS_UIKITFORMAC 0
#define TARGET_OS_DRIVERKIT 0
#define TARGET_OS_BRIDGE 0
#define TARGET_OS_UNIX 0
#define TARGET_OS_LINUX 0
#define TARGET_OS_WINDOWS 0
#if __is_target_environment(simulator)
#define TARGET_OS_SIMULATOR 1
#define TARGET_OS_EMBEDDED 0
#else
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_EMBEDDED 1
#endif
#define TARGET_IPHONE_SIMULATOR TARGET_OS_SIMULATOR
#define TARGET_CPU_ARM64 1
#define TARGET_CPU_ARM 0
#define TARGET_CPU_X86 0
#define TARGET_CPU_X86_64 0
#define TARGET_CPU_PPC 0
#define TARGET_CPU_PPC64 0
#define TARGET_RT_LITTLE_ENDIAN 1
#define TARGET_RT_BIG_ENDIAN 0
#define TARGET_RT_64_BIT 1
#define TARGET_RT_MAC_MACHO 1
#define TARGET_RT_MAC_CFM 0
#endif
EOF
# aws-lc includes this Bionic header on Android (without calling anything from it today).
put "$tools/include/android/sys/system_properties.h" <<'EOF'
/* Stand-in for Bionic's <sys/system_properties.h> (declarations only) for builds without the NDK. */
#pragma once
#define PROP_VALUE_MAX 92
int __system_property_get(const char *name, char *value);
EOF
mkdir -p "$tools/empty-sdk"

# --- Per-target C toolchain: cc-rs and aws-lc-sys's builder read CC_/CFLAGS_/AR_<target>.
# aws-lc-sys uses its cmake-less builder (pregenerated sources and bindings): no cmake, no nasm.
export AWS_LC_SYS_CMAKE_BUILDER=0
android() { # android TARGET CLANG_TRIPLE SYSROOT [EXTRA CFLAGS...]
  local v=${1//-/_}
  export "CC_$v=clang" "AR_$v=llvm-ar"
  export "CFLAGS_$v=--target=$2$android_api --sysroot=$3 -isystem $tools/include/android -isystem $3/include -D_GNU_SOURCE ${*:4}"
}
android aarch64-linux-android aarch64-linux-android /usr/aarch64-linux-gnu
# armhf glibc headers want the hard-float marker; the code itself stays softfp, as Rust's target is.
android armv7-linux-androideabi armv7a-linux-androideabi /usr/arm-linux-gnueabihf -march=armv7-a -mfpu=neon -mfloat-abi=softfp -D__ARM_PCS_VFP=1
android x86_64-linux-android x86_64-linux-android /usr/x86_64-linux-gnu
for t in aarch64-apple-ios aarch64-apple-ios-sim; do
  # cc-rs passes --target=arm64-apple-ios<min>[-simulator] itself; our headers go before zig's.
  export "CC_${t//-/_}=clang" "AR_${t//-/_}=llvm-ar" "CFLAGS_${t//-/_}=-isystem $tools/include/ios -isystem $darwin_inc"
done

# --- Check each target.
failed=0
for t in "${targets[@]}"; do
  log=$target_dir/check-mobile-$t.log
  mkdir -p "$target_dir"
  cmd=(cargo check -p "$package" --target "$t" --locked)
  envs=(CARGO_TARGET_DIR="$target_dir")
  # iOS: SDKROOT (an empty dir) keeps cc-rs from calling xcrun, which does not exist here.
  [[ $t == *-apple-ios* ]] && envs+=(SDKROOT="$tools/empty-sdk" IPHONEOS_DEPLOYMENT_TARGET="$ios_min")
  if [[ " ${build_std[*]} " == *" $t "* ]]; then
    # -Zbuild-std on stable via RUSTC_BOOTSTRAP. proc-macro2 rebuilds when RUSTC_BOOTSTRAP
    # changes, so these targets get a target dir of their own instead of churning the shared one.
    cmd+=("-Zbuild-std=std,panic_abort")
    envs=(CARGO_TARGET_DIR="$target_dir/build-std" RUSTC_BOOTSTRAP=1 "${envs[@]:1}")
  fi
  start=$SECONDS
  if env "${envs[@]}" "${cmd[@]}" >"$log" 2>&1; then
    echo "check $t: ok ($((SECONDS - start)) s)"
  else
    echo "check $t: FAILED ($((SECONDS - start)) s), log: $log"
    tail -n 25 "$log" | sed 's/^/    /'
    failed=1
  fi
done
exit $failed
