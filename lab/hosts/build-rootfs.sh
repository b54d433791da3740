#!/usr/bin/env bash
# Build (once) the Debian root filesystem tarball shared by the lab's namespace hosts and print
# its path. Cached under $LAB_ROOTFS_CACHE (default /var/cache/jichitai-lab), keyed by the
# package list, so a rebuild happens only when the list changes. Needs root and a Debian mirror.
set -euo pipefail
SUITE="${LAB_ROOTFS_SUITE:-bookworm}"
PACKAGES="openssh-server,python3,python3-apt,python3-debian,sudo,iproute2,iputils-ping,procps,ca-certificates"
CACHE="${LAB_ROOTFS_CACHE:-/var/cache/jichitai-lab}"
key="$(printf '%s %s v1' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)"
tarball="$CACHE/rootfs-$SUITE-$key.tar"
if [[ ! -s "$tarball" ]]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.build.lock"
  flock 9
  if [[ ! -s "$tarball" ]]; then
    echo "build-rootfs: building $tarball (about 20 s)" >&2
    start=$(date +%s)
    mmdebstrap --quiet --variant=apt --format=tar --include="$PACKAGES" --skip=output/dev \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      "$SUITE" "$tarball.tmp" >&2
    mv "$tarball.tmp" "$tarball"
    echo "build-rootfs: built in $(( $(date +%s) - start )) s" >&2
  fi
fi
printf '%s\n' "$tarball"
