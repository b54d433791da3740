#!/usr/bin/env bash
# Stand-in for the two inter-segment file-transfer systems (products differ by city: OPSWAT
# MetaDefender, FileZen, …). The engines are real: ClamAV clamd (lab signature database with the
# EICAR test signature), oletools/olefile and pikepdf for content disarm; only the HTTPS front and the
# worker around them (lab/transfer/standin.py) are the lab's own.
#   internet_lgwan: https://127.0.0.1:8008 (sanitises Internet→LGWAN), drops xfer-inet01 ⇄ xfer-lg01
#   lgwan_mynumber: https://127.0.0.1:8009 (scan only), drops mnxfer-lg01 ⇄ mnxfer01
# Drops are chrooted SFTP accounts on the namespace hosts of 60-hosts.sh (user xfer-probe, key
# lab/run/transfer/ssh/xfer-probe). State under lab/run/transfer; `down` removes it.
#   usage: 70-transfer.sh up|down|status|stop-engine SYSTEM|start-engine SYSTEM
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

XFER_RUN="$LAB_RUN/transfer"
SYSTEMS=(internet_lgwan lgwan_mynumber)
declare -A PORT=([internet_lgwan]=8008 [lgwan_mynumber]=8009)
PY="$REPO_DIR/.venv/bin/python"
STANDIN="$LAB_DIR/transfer/standin.py"
PROBE_KEY="$XFER_RUN/ssh/xfer-probe"

ensure_files() {
  mkdir -p "$XFER_RUN/clamav-db" "$XFER_RUN/tmp" "$XFER_RUN/ssh"
  chmod 0700 "$XFER_RUN" "$XFER_RUN/ssh"
  install -m 0644 "$LAB_DIR/transfer/clamav/lab.ndb" "$XFER_RUN/clamav-db/lab.ndb"
  sed "s|@RUN@|$XFER_RUN|g" "$LAB_DIR/transfer/clamav/clamd.conf.in" >"$XFER_RUN/clamd.conf"
  (umask 077 && lab_secret vault_lab_transfer_api_key >"$XFER_RUN/apikey.tmp") && mv "$XFER_RUN/apikey.tmp" "$XFER_RUN/apikey"
  [[ -s "$PROBE_KEY" ]] || ssh-keygen -q -t ed25519 -N '' -C "xfer-probe (jichitai-ops lab)" -f "$PROBE_KEY"
  [[ -s "$LAB_RUN/ca/transfer.crt" ]] || lab_die "no transfer certificate: run lab/components/10-ca.sh up"
}

start_clamd() {
  local i
  lab_running transfer-clamd && [[ -S "$XFER_RUN/clamd.sock" ]] && return 0
  lab_stop transfer-clamd
  rm -f "$XFER_RUN/clamd.sock"
  lab_start transfer-clamd clamd --config-file="$XFER_RUN/clamd.conf"
  for i in $(seq 1 300); do [[ -S "$XFER_RUN/clamd.sock" ]] && return 0; lab_running transfer-clamd || break; sleep 0.1; done
  lab_die "clamd did not open $XFER_RUN/clamd.sock (see $XFER_RUN/clamd.log)"
}

start_engine() {
  local sys="$1"
  [[ -n "${PORT[$sys]:-}" ]] || lab_die "unknown system '$sys' (${SYSTEMS[*]})"
  LAB_RUN="$LAB_RUN" lab_start "transfer-$sys" "$PY" "$STANDIN" serve "$sys"
  lab_wait_tcp 127.0.0.1 "${PORT[$sys]}" 20
}

stop_engine() {
  [[ -n "${PORT[${1:-}]:-}" ]] || lab_die "unknown system '${1:-}' (${SYSTEMS[*]})"
  lab_stop "transfer-$1"
}

up() {
  command -v clamd >/dev/null || lab_die "clamd is not installed (make system-deps)"
  local sys reset=()
  [[ -d "$XFER_RUN" ]] || reset=(--reset)  # a fresh stand-in starts with empty drops
  ensure_files
  start_clamd
  for sys in "${SYSTEMS[@]}"; do
    if [[ ${#reset[@]} -gt 0 ]] || ! LAB_RUN="$LAB_RUN" "$PY" "$STANDIN" drops-ready "$sys" 2>/dev/null; then
      LAB_RUN="$LAB_RUN" "$PY" "$STANDIN" setup-drops "$sys" "$PROBE_KEY.pub" "${reset[@]}"
    fi
  done
  for sys in "${SYSTEMS[@]}"; do lab_running "transfer-$sys" || start_engine "$sys"; done
  for sys in "${SYSTEMS[@]}"; do lab_wait_tcp 127.0.0.1 "${PORT[$sys]}" 20; done
  lab_log "transfer stand-ins up (internet_lgwan https://127.0.0.1:8008, lgwan_mynumber https://127.0.0.1:8009)"
}

down() {
  local sys
  for sys in "${SYSTEMS[@]}"; do lab_stop "transfer-$sys"; done
  lab_stop transfer-clamd
  rm -rf "$XFER_RUN"
}

status() {
  local sys rc=0
  lab_running transfer-clamd && [[ -S "$XFER_RUN/clamd.sock" ]] || { lab_log "clamd not running"; rc=1; }
  for sys in "${SYSTEMS[@]}"; do
    if ! lab_running "transfer-$sys" || ! (exec 3<>"/dev/tcp/127.0.0.1/${PORT[$sys]}") 2>/dev/null; then
      lab_log "$sys stand-in not running"; rc=1
    elif ! LAB_RUN="$LAB_RUN" "$PY" "$STANDIN" drops-ready "$sys" 2>/dev/null; then
      lab_log "$sys drops not prepared on its hosts"; rc=1
    fi
  done
  [[ $rc -eq 0 ]] && lab_log "transfer stand-ins up (clamd, :8008 internet_lgwan, :8009 lgwan_mynumber)"
  return "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-engine) stop_engine "${2:-}" ;;
  start-engine) start_engine "${2:-}" ;;
  *) echo "usage: $0 up|down|status|stop-engine SYSTEM|start-engine SYSTEM" >&2; exit 2 ;;
esac
