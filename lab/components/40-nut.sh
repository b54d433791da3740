#!/usr/bin/env bash
# Network UPS Tools standing in for the NUT-managed UPSes (ups01..ups03): one dummy-ups driver per
# UPS, each reading a writable .dev file (lab/nut/drive.py changes its state), and upsd on
# 127.0.0.1:3493 with one user (jichitai-ops, password vault_lab_nut_password) allowed SET and
# instant commands. State is rebuilt from lab/nut/online.dev at every start.
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

NUT_DIR="$LAB_RUN/nut"
CONF="$NUT_DIR/conf"
STATE="$NUT_DIR/state"
UPSES=(ups01 ups02 ups03)
NUT_USER="jichitai-ops"
export NUT_CONFPATH="$CONF" NUT_STATEPATH="$STATE" NUT_ALTPIDPATH="$STATE"

write_config() {
  local ups
  rm -rf "$NUT_DIR"
  mkdir -p "$CONF" "$STATE"
  chown root:nut "$CONF"; chmod 0750 "$CONF"
  chown nut:nut "$STATE"; chmod 0770 "$STATE"
  printf 'MODE=standalone\n' >"$CONF/nut.conf"
  printf 'LISTEN 127.0.0.1 3493\nMAXAGE 15\n' >"$CONF/upsd.conf"
  : >"$CONF/ups.conf"
  for ups in "${UPSES[@]}"; do
    printf '[%s]\n  driver = dummy-ups\n  port = %s\n  mode = dummy-once\n  pollinterval = 1\n  desc = "lab UPS %s"\n' \
      "$ups" "$CONF/$ups.dev" "$ups" >>"$CONF/ups.conf"
    grep -v '^#' "$LAB_DIR/nut/online.dev" >"$CONF/$ups.dev"
  done
  (umask 027 && printf '[%s]\n  password = %s\n  actions = SET\n  instcmds = ALL\n' \
    "$NUT_USER" "$(lab_secret vault_lab_nut_password)" >"$CONF/upsd.users")
  chgrp nut "$CONF"/*; chmod 0640 "$CONF"/*
  chmod 0664 "$CONF"/*.dev
}

wait_socket() {
  local i
  for i in $(seq 1 100); do [[ -S "$STATE/dummy-ups-$1" ]] && return 0; sleep 0.1; done
  lab_die "dummy-ups for $1 did not create its socket"
}

# wait_ready UPS : upsd serves the driver's data (not WAIT, not stale)
wait_ready() {
  local i st
  for i in $(seq 1 100); do
    st="$(upsc "$1@127.0.0.1:3493" ups.status 2>/dev/null || true)"
    [[ -n "$st" && "$st" != WAIT ]] && return 0
    sleep 0.1
  done
  lab_die "upsd does not serve $1 (status '${st:-none}')"
}

up() {
  [[ -x /lib/nut/upsd ]] || lab_die "nut-server is not installed (make system-deps)"
  local ups all=1
  for ups in "${UPSES[@]}"; do lab_running "nut-$ups" || all=0; done
  lab_running nut-upsd || all=0
  if [[ $all -eq 0 ]]; then
    down
    write_config
  fi
  for ups in "${UPSES[@]}"; do lab_start "nut-$ups" /lib/nut/dummy-ups -a "$ups" -F; done
  for ups in "${UPSES[@]}"; do wait_socket "$ups"; done
  lab_start nut-upsd /lib/nut/upsd -F
  lab_wait_tcp 127.0.0.1 3493 15
  for ups in "${UPSES[@]}"; do wait_ready "$ups"; done
  lab_log "NUT upsd on 127.0.0.1:3493 serving ${UPSES[*]}"
}

down() {
  local ups
  lab_stop nut-upsd
  for ups in "${UPSES[@]}"; do lab_stop "nut-$ups"; done
  rm -rf "$NUT_DIR"
}

status() {
  local ups rc=0
  for ups in nut-upsd "${UPSES[@]/#/nut-}"; do lab_running "$ups" || { lab_log "$ups not running"; rc=1; }; done
  if [[ $rc -eq 0 ]]; then
    lab_log "NUT upsd 127.0.0.1:3493: $(upsc -l 127.0.0.1:3493 2>/dev/null | tr '\n' ' ')"
  fi
  return "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
