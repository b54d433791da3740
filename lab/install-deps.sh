#!/usr/bin/env bash
# Install the Debian packages the lab stand-ins need, when any is missing. Needs root.
set -euo pipefail
pkgs=(
  samba samba-ad-dc samba-ad-provision winbind krb5-user smbclient ldap-utils
  kea-dhcp4-server kea-ctrl-agent kea-admin
  nut-server nut-client
  clamav-daemon clamav
  clamav-freshclam  # antivirus: the endpoint stand-in updates its definitions from the lab source (72-antivirus.sh)
  openssh-server openssh-client mmdebstrap iproute2 iputils-ping openssl procps psmisc python3-venv
  fping
  aptly gnupg
  freeradius freeradius-utils
  prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-snmp-exporter
  msitools wixl  # software distribution: MSI Property tables (msiinfo) and the lab's stand-in MSIs (wixl)
  restic b3sum xxhash  # backup: the lab's engine; the hash limits the off-site verification is measured against
  graphviz  # registers: the network, relation and rack diagrams (dot)
  chromium fonts-noto-cjk  # the monthly report's PDF and the screenshots of plans and reports, Japanese glyphs
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
[[ "$(id -u)" -eq 0 ]] || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
echo "install-deps: installing ${missing[*]}" >&2
# Never let package scripts start the stock daemons on 0.0.0.0.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
