#!/usr/bin/env bash
# Prints the path of a Debian trixie root with Swift (swiftlang 6.0, Foundation, XCTest) installed.
# Debian 12's libc is too old for trixie's swiftlang, so Swift runs inside this root via chroot.
# The root is cached in ${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}/swift-root; it is created
# (debootstrap + apt, about 1.5 min, needs root) when missing or when an earlier creation was
# interrupted (no marker file). All progress goes to stderr: stdout is only the path.
set -euo pipefail

tools="${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}"
root="$tools/swift-root"
marker="$root/.doorpass-swift-root-ready"
# debootstrap's own default mirror, unless DOORPASS_DEBIAN_MIRROR names another.
mirror=(${DOORPASS_DEBIAN_MIRROR:+"$DOORPASS_DEBIAN_MIRROR"})
mkdir -p "$tools"

# One creator at a time; a second caller waits and then finds the marker.
exec 9>"$tools/swift-root.lock"
flock 9

if [ ! -f "$marker" ]; then
  exec 3>&1 1>&2
  [ "$(id -u)" -eq 0 ] || { echo "swift-root.sh: creating the root needs root (debootstrap, chroot)"; exit 1; }
  "$(dirname "$0")/apt-install.sh" debootstrap
  # An interrupted creation may have left mounts (debootstrap mounts /proc, /sys) in the root:
  # unmount them before removing it, and never cross into another file system while removing.
  if [ -d "$root" ]; then
    awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$root"
  fi
  echo "swift-root.sh: debootstrap trixie into $root"
  debootstrap --variant=minbase trixie "$root" "${mirror[@]}" >"$tools/swift-root.debootstrap.log" 2>&1 ||
    { tail -20 "$tools/swift-root.debootstrap.log"; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  echo "swift-root.sh: installing swiftlang in the root"
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends swiftlang libc6-dev libstdc++-14-dev >/dev/null && apt-get clean'
  # swift resolves its libraries relative to /proc/self/exe: mount /proc just for the check.
  mount -t proc proc "$root/proc"
  trap 'umount -l "$root/proc"' EXIT
  chroot "$root" swift --version
  umount "$root/proc"
  trap - EXIT
  touch "$marker"
  exec 1>&3
fi
echo "$root"
