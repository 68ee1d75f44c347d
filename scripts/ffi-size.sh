#!/usr/bin/env bash
# Size of the library phones ship: builds doorpass-ffi with the release-small profile (symbols kept
# for this measurement), prints the size once stripped, and the largest contributors, attributed
# by symbol name to the crate (Rust) or C library they come from.
#   scripts/ffi-size.sh            # the host's cdylib (x86_64 Linux here)
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}

CARGO_PROFILE_RELEASE_SMALL_STRIP=false cargo build --locked -p doorpass-ffi --profile release-small
lib="$target_dir/release-small/libdoorpass_ffi.so"
stripped="$(mktemp)"
trap 'rm -f "$stripped"' EXIT
strip --strip-all -o "$stripped" "$lib"
echo "libdoorpass_ffi.so (release-small, stripped): $(stat -c %s "$stripped") bytes"

# Symbol sizes (text and data), summed per crate: the first path segment of a demangled Rust
# name ("<reqwest::..." -> reqwest), the C libraries by their symbol prefixes.
nm --size-sort -S -C "$lib" | python3 -c '
import re, sys, collections
sizes = collections.Counter()
for line in sys.stdin:
    parts = line.split(None, 3)
    if len(parts) < 4 or parts[2].lower() not in "tdbr":
        continue
    size, name = int(parts[1], 16), parts[3].strip()
    if name.startswith("ring_core_"):
        crate = "ring (C)"
    else:
        m = re.match(r"^[<&*\s]*(?:(?:mut|dyn|const)\s+)*([A-Za-z_][A-Za-z0-9_]*)::", name)
        crate = m.group(1) if m else "C and assembly without a crate prefix"
    sizes[crate] += size
total = sum(sizes.values())
print(f"symbols: {total} bytes; largest contributors:")
for crate, size in sizes.most_common(15):
    print(f"  {crate:54} {size:>9} bytes  {100 * size / total:5.1f} %")
'
