#!/usr/bin/env bash
# snmpsim standing in for the SNMP-managed UPS (ups04): an RFC 1628 UPS-MIB agent on udp
# 127.0.0.1:1161. Communities: `public` (read-only), vault_lab_snmp_rw_community (read-write on the
# UPS's control group) and a random lab-only drive community (lab/run/snmp/drive-community) that
# lab/snmp/drive.py uses to change the power state. snmpsim runs from its own venv
# (lab/run/snmpsim-venv, /usr/bin/python3, pins in lab/snmp/requirements.txt) as nobody:nogroup.
# Written values live in the agent's memory: every start begins from lab/snmp/ups04.snmprec.
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

SNMP_DIR="$LAB_RUN/snmp"
VENV="$LAB_RUN/snmpsim-venv"
REQS="$LAB_DIR/snmp/requirements.txt"
PROC="snmpsim-ups04"

ensure_venv() {
  local stamp="$VENV/.requirements"
  [[ -x "$VENV/bin/snmpsim-command-responder" ]] && cmp -s "$REQS" "$stamp" && return 0
  lab_log "building the snmpsim venv ($(grep -m1 '^snmpsim==' "$REQS"))"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV" || lab_die "cannot create a venv with /usr/bin/python3 (python3-venv)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-compile -r "$REQS" >"$LAB_RUN/log/snmpsim-pip.log" 2>&1 ||
    lab_die "pip install of snmpsim failed (see $LAB_RUN/log/snmpsim-pip.log)"
  cp "$REQS" "$stamp"
}

write_data() {
  rm -rf "$SNMP_DIR"
  mkdir -p "$SNMP_DIR/data" "$SNMP_DIR/cache"
  chown nobody:nogroup "$SNMP_DIR/cache"
  (umask 077 && openssl rand -hex 12 >"$SNMP_DIR/drive-community")
  { lab_secret vault_lab_snmp_rw_community; cat "$SNMP_DIR/drive-community"; echo; } |
    "$VENV/bin/python" "$LAB_DIR/snmp/labctl.py" render "$SNMP_DIR/data"
  chmod 0755 "$SNMP_DIR" "$SNMP_DIR/data"
}

up() {
  ensure_venv
  if ! lab_running "$PROC"; then
    write_data
    lab_start "$PROC" "$VENV/bin/snmpsim-command-responder" \
      --data-dir="$SNMP_DIR/data" --cache-dir="$SNMP_DIR/cache" \
      --agent-udpv4-endpoint=127.0.0.1:1161 \
      --process-user=nobody --process-group=nogroup --logging-method=stderr --log-level=error
  fi
  "$VENV/bin/python" "$LAB_DIR/snmp/labctl.py" wait 30 || lab_die "snmpsim did not answer on udp 127.0.0.1:1161"
  lab_log "SNMP UPS-MIB agent (ups04) on udp 127.0.0.1:1161"
}

down() {
  lab_stop "$PROC"
  rm -rf "$SNMP_DIR"
}

status() {
  if lab_running "$PROC" && "$VENV/bin/python" "$LAB_DIR/snmp/labctl.py" wait 2; then
    lab_log "SNMP UPS-MIB agent (ups04) running (pid $(cat "$(lab_pidfile "$PROC")"), udp 127.0.0.1:1161)"
  else
    lab_log "SNMP UPS-MIB agent (ups04) not running"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
