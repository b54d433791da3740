#!/usr/bin/env bash
# The lab's local Debian repository (aptly 1.5), the Linux side of update approval: the packages of
# lab/aptrepo/build-packages.sh in two dated snapshots, published as two distributions of one
# repository, signed with the lab repository key:
#   staging    — always the newest snapshot (what the vendor shipped last)
#   production — what hosts install; `up` and `reset` put it on the old snapshot, `promote` on the
#                newest one (the approval)
# Served by a static HTTP server on every segment bridge that has an upstream (lgwan, internet);
# mynumber has none: its updates arrive as a bundle through the transfer system.
# Needs 60-hosts.sh's bridges. State under lab/run/aptrepo (key, debs, aptly root), kept across
# down/up like a server's disk.
#   usage: 65-aptrepo.sh up|down|status|promote|reset|break-host NAME|fix-host NAME
source "$(dirname "$0")/../lib.sh"
lab_serialise "$0" "$@"

REPO_RUN="$LAB_RUN/aptrepo"
DEBS="$REPO_RUN/debs"
APTLY_CONF="$REPO_RUN/aptly.conf"
APTLY_ROOT="$REPO_RUN/aptly"
PUBLIC="$APTLY_ROOT/public"
PUBKEY="$REPO_RUN/lab-repo.asc"
export GNUPGHOME="$REPO_RUN/gnupg"
KEY_UID="jichitai-ops lab repository <repo@lab.jichitai.test>"
PORT=8080
# snapshot -> the package versions it holds (oldest first; the last is the newest)
SNAPSHOTS=(lab-2026-11-01 lab-2026-12-01)
declare -A SNAPSHOT_VERSIONS=(
  [lab-2026-11-01]="jichitai-lab-agent_1.0.0-1 jichitai-lab-tools_1.0.0-1"
  [lab-2026-12-01]="jichitai-lab-agent_1.1.0-1 jichitai-lab-tools_1.0.1-1"
)
OLD="${SNAPSHOTS[0]}"
NEW="${SNAPSHOTS[-1]}"
# segments with an upstream -> the bridge address the repository is served on
declare -A SERVE=([lgwan]=198.18.10.1 [internet]=198.18.20.1)
FAULT_FILE=etc/apt/apt.conf.d/99jichitai-lab-fault
HOSTS_DIR="$LAB_RUN/hosts"

# gpg starts an agent for the signing key: it ends with the command that needed it
trap '[[ ! -d "$GNUPGHOME" ]] || gpgconf --kill gpg-agent 2>/dev/null || true' EXIT

aptly_() { aptly -config="$APTLY_CONF" "$@"; }
fingerprint() { gpg --batch --with-colons --list-secret-keys "$KEY_UID" 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}'; }

# ensure_key: the repository's signing key (made at first up, no passphrase: lab only) and its
# public half, armored, for the hosts' Signed-By
ensure_key() {
  mkdir -p "$REPO_RUN"; chmod 0700 "$REPO_RUN"
  if [[ -z "$(fingerprint)" ]]; then
    rm -rf "$GNUPGHOME" "$APTLY_ROOT"  # a new key: what was signed with the old one goes
    mkdir -m 0700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "$KEY_UID" ed25519 sign never 2>/dev/null
    lab_log "repository key $(fingerprint) made"
  fi
  gpg --batch --armor --export "$(fingerprint)" >"$PUBKEY.tmp" && mv "$PUBKEY.tmp" "$PUBKEY"
  chmod 0644 "$PUBKEY"
}

ensure_snapshots() {
  local snap pkg have
  bash "$LAB_DIR/aptrepo/build-packages.sh" "$DEBS" >/dev/null
  printf '{"rootDir": "%s", "architectures": ["amd64"], "gpgProvider": "gpg"}\n' "$APTLY_ROOT" >"$APTLY_CONF"
  have="$(aptly_ snapshot list -raw 2>/dev/null || true)"
  for snap in "${SNAPSHOTS[@]}"; do
    [[ $'\n'"$have"$'\n' == *$'\n'"$snap"$'\n'* ]] && continue
    # a snapshot is missing: rebuild the repository's history from the start (a few tenths of a second)
    rm -rf "$APTLY_ROOT"
    aptly_ repo create -component=main lab >/dev/null
    for snap in "${SNAPSHOTS[@]}"; do
      aptly_ repo remove lab 'Name' >/dev/null  # a dated snapshot of upstream holds its newest versions only
      for pkg in ${SNAPSHOT_VERSIONS[$snap]}; do aptly_ repo add lab "$DEBS/${pkg}_all.deb" >/dev/null; done
      aptly_ snapshot create "$snap" from repo lab >/dev/null
    done
    lab_log "snapshots ${SNAPSHOTS[*]} made"
    return 0
  done
}

# published DIST -> the snapshot a published distribution serves ("" when not published)
published() { aptly_ publish show "$1" 2>/dev/null | awk '$1 == "main:" {print $2; exit}'; }

# publish DIST SNAPSHOT: publish or switch a distribution onto a snapshot, signed
publish() {
  local dist="$1" snap="$2" sign=(-batch -gpg-key="$(fingerprint)")
  case "$(published "$dist")" in
    "$snap") return 0 ;;
    "") aptly_ publish snapshot "${sign[@]}" -skip-contents -origin="jichitai-ops lab" -label="jichitai-ops lab" \
          -distribution="$dist" -component=main "$snap" >/dev/null ;;
    *) aptly_ publish switch "${sign[@]}" -skip-contents "$dist" "$snap" >/dev/null ;;
  esac
  lab_log "$dist → $snap"
}

serve() {
  local seg addr
  for seg in "${!SERVE[@]}"; do
    addr="${SERVE[$seg]}"
    [[ "$(ip -4 addr show 2>/dev/null)" == *" $addr/24 "* ]] || lab_die "no bridge holds $addr: run lab/components/60-hosts.sh up"
    lab_running "aptrepo-http-$seg" ||
      lab_start "aptrepo-http-$seg" python3 -m http.server --bind "$addr" --directory "$PUBLIC" "$PORT"
  done
  for seg in "${!SERVE[@]}"; do lab_wait_tcp "${SERVE[$seg]}" "$PORT" 20; done
}

up() {
  command -v aptly >/dev/null || lab_die "aptly is not installed (make system-deps)"
  ensure_key
  ensure_snapshots
  publish staging "$NEW"
  publish production "$OLD"
  clear_faults
  serve
  lab_log "repository up: $(urls), production $(published production), staging $(published staging)"
}

urls() { printf 'http://%s:%s/ (lgwan), http://%s:%s/ (internet)' "${SERVE[lgwan]}" "$PORT" "${SERVE[internet]}" "$PORT"; }

down() {
  local seg
  for seg in "${!SERVE[@]}"; do lab_stop "aptrepo-http-$seg"; done
}

status() {
  local seg rc=0 prod
  for seg in "${!SERVE[@]}"; do
    if ! lab_running "aptrepo-http-$seg" || ! (exec 3<>"/dev/tcp/${SERVE[$seg]}/$PORT") 2>/dev/null; then
      lab_log "repository server on $seg (${SERVE[$seg]}:$PORT) down"; rc=1
    fi
  done
  prod="$(published production)"
  [[ -n "$prod" && -n "$(published staging)" ]] || { lab_log "repository not published"; rc=1; }
  [[ $rc -eq 0 ]] && lab_log "repository up on $(urls); production $prod, staging $(published staging)$(faults)"
  return $rc
}

faults() {
  local f name found=()
  for f in "$HOSTS_DIR"/*/upper/"$FAULT_FILE"; do
    [[ -e "$f" ]] || continue
    name="${f#"$HOSTS_DIR"/}"; found+=("${name%%/*}")
  done
  [[ ${#found[@]} -eq 0 ]] || printf '; package installs broken on %s' "${found[*]}"
}

# host_pid1 NAME -> the pid (in this namespace) of a running host's PID 1 (lab/hosts/host-init.sh)
host_pid1() {
  local pid
  pid="$(cat "$(lab_pidfile "host-$1")" 2>/dev/null)" || return 1
  lab_alive "$pid" || return 1
  awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null
}

# in_root NAME CMD : run a shell command with $R set to the host's root: its merged root inside its
# mount namespace while it runs (writing under a mounted overlay's upper layer is undefined), else
# the upper layer
in_root() {
  local name="$1" cmd="$2" pid
  [[ -d "$HOSTS_DIR/$name/upper" ]] || lab_die "$name is not a namespace host of the lab (60-hosts.sh)"
  pid="$(host_pid1 "$name" || true)"
  if [[ -n "$pid" ]]; then
    R="$HOSTS_DIR/$name/root" nsenter -t "$pid" -m sh -c "$cmd"
  else
    R="$HOSTS_DIR/$name/upper" sh -c "$cmd"
  fi
}

break_host() {
  local name="${1:?host name}"
  in_root "$name" "mkdir -p \"\$R/etc/apt/apt.conf.d\" && cat >\"\$R/$FAULT_FILE\"" <<'EOF'
// Lab fault (lab/components/65-aptrepo.sh break-host): every package install fails before dpkg
// runs; `apt-get update` still works. Remove with 65-aptrepo.sh fix-host.
DPkg::Pre-Invoke { "echo 'E: LAB FAULT injected by 65-aptrepo.sh break-host: package installs fail on this host' >&2; exit 1"; };
EOF
  lab_log "$name: package installs now fail (lab fault)"
}

fix_host() {
  local name="${1:?host name}"
  in_root "$name" "rm -f \"\$R/$FAULT_FILE\""
  lab_log "$name: lab fault removed"
}

clear_faults() {
  local f name
  for f in "$HOSTS_DIR"/*/upper/"$FAULT_FILE"; do
    [[ -e "$f" ]] || continue
    name="${f#"$HOSTS_DIR"/}"; fix_host "${name%%/*}"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  promote) publish production "$NEW" ;;
  reset) publish production "$OLD" ;;
  break-host) break_host "${2:-}" ;;
  fix-host) fix_host "${2:-}" ;;
  *) echo "usage: $0 up|down|status|promote|reset|break-host NAME|fix-host NAME" >&2; exit 2 ;;
esac
