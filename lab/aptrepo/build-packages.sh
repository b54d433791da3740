#!/usr/bin/env bash
# Build the lab's Debian packages, each in two versions, into OUTDIR (default lab/run/aptrepo/debs):
# the updates the local repository publishes and the My Number bundle carries.
#   jichitai-lab-agent 1.0.0-1 → 1.1.0-1  (1.1's postinst asks for a reboot, as a kernel or libc update
#                                          does: /run/reboot-required and /run/reboot-required.pkgs)
#   jichitai-lab-tools 1.0.0-1 → 1.0.1-1  (no reboot)
# Reproducible: fixed mtimes (SOURCE_DATE_EPOCH), so a rebuild gives the same bytes. Prints OUTDIR.
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")/.." && pwd)/run/aptrepo/debs}"
export SOURCE_DATE_EPOCH=1764547200  # 2025-12-01 00:00 UTC
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# build NAME VERSION REBOOT(yes|no)
build() {
  local name="$1" version="$2" reboot="$3" root="$work/$1_$2" deb
  deb="$out/${name}_${version}_all.deb"
  [[ -s "$deb" ]] && return 0
  mkdir -p "$root/DEBIAN" "$root/usr/share/$name" "$root/usr/bin"
  printf '%s\n' "$version" >"$root/usr/share/$name/VERSION"
  printf '#!/bin/sh\ncat /usr/share/%s/VERSION\n' "$name" >"$root/usr/bin/$name"
  chmod 0755 "$root/usr/bin/$name"
  cat >"$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: all
Maintainer: jichitai-ops maintainers <ops@lab.jichitai.test>
Section: admin
Priority: optional
Description: jichitai-ops lab package ($name $version)
 A package of the lab's local repository, published in two versions so that
 patching has something to update.
CONTROL
  if [[ "$reboot" == yes ]]; then
    cat >"$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  touch /run/reboot-required
  grep -qx "jichitai-lab-agent" /run/reboot-required.pkgs 2>/dev/null || echo jichitai-lab-agent >>/run/reboot-required.pkgs
fi
POSTINST
    chmod 0755 "$root/DEBIAN/postinst"
  fi
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.tmp" >/dev/null
  mv "$deb.tmp" "$deb"
}

build jichitai-lab-agent 1.0.0-1 no
build jichitai-lab-agent 1.1.0-1 yes
build jichitai-lab-tools 1.0.0-1 no
build jichitai-lab-tools 1.0.1-1 no
printf '%s\n' "$out"
