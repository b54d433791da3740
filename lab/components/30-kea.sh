#!/usr/bin/env bash
# ISC Kea standing in for the LGWAN DHCP appliance pair (dhcp01/dhcp02): two kea-dhcp4 servers in
# a hot-standby HA pair, each with its control agent (basic auth, lab vault password).
#   dhcp01: control agent http://127.0.0.1:8001, DHCP udp 127.0.0.1:6701, HA listener :8101 (primary)
#   dhcp02: control agent http://127.0.0.1:8002, DHCP udp 127.0.0.1:6702, HA listener :8102 (standby)
# The scope and its reservations come from inventories/lab/group_vars/pair_dhcp.yml (the ledger).
# A configuration already in lab/run/kea is kept (like an appliance's saved config), so a peer
# stopped with `stop-peer` comes back with what it had; `down` removes everything.
#   usage: 30-kea.sh up|down|status|stop-peer NAME
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

KEA_DIR="$LAB_RUN/kea"
PEERS=(dhcp01 dhcp02)
declare -A DHCP_PORT=([dhcp01]=6701 [dhcp02]=6702)
declare -A CA_PORT=([dhcp01]=8001 [dhcp02]=8002)
SCOPES_FILE="$REPO_DIR/inventories/lab/group_vars/pair_dhcp.yml"
LABCTL=("$REPO_DIR/.venv/bin/python" "$LAB_DIR/kea/labctl.py")
export KEA_PIDFILE_DIR="$KEA_DIR" KEA_LOCKFILE_DIR="$KEA_DIR"

api_password() { lab_secret vault_lab_kea_api_password; }

# a peer's saved configuration is kept; only missing files are written (from the ledger scopes)
render_missing() {
  local fresh="$KEA_DIR/fresh" f
  rm -rf "$fresh"; mkdir -p "$fresh"
  api_password | "${LABCTL[@]}" render "$KEA_DIR" "$SCOPES_FILE" "$fresh"
  for f in "$fresh"/*.conf; do
    [[ -s "$KEA_DIR/$(basename "$f")" ]] && continue
    lab_log "writing $(basename "$f") from $(basename "$SCOPES_FILE")"
    mv "$f" "$KEA_DIR/"
  done
  rm -rf "$fresh"
}

start_peer() {
  local peer="$1"
  lab_running "kea-dhcp4-$peer" || rm -f "$KEA_DIR/kea-dhcp4-$peer.kea-dhcp4.pid"
  lab_running "kea-ca-$peer" || rm -f "$KEA_DIR/kea-ctrl-agent-$peer.kea-ctrl-agent.pid"
  lab_running "kea-dhcp4-$peer" ||
    lab_start "kea-dhcp4-$peer" kea-dhcp4 -c "$KEA_DIR/kea-dhcp4-$peer.conf" -p "${DHCP_PORT[$peer]}"
  lab_running "kea-ca-$peer" ||
    lab_start "kea-ca-$peer" kea-ctrl-agent -c "$KEA_DIR/kea-ctrl-agent-$peer.conf"
}

up() {
  command -v kea-dhcp4 >/dev/null || lab_die "kea-dhcp4 is not installed (make system-deps)"
  mkdir -p "$KEA_DIR"; chmod 0700 "$KEA_DIR"
  render_missing
  local peer
  for peer in "${PEERS[@]}"; do start_peer "$peer"; done
  for peer in "${PEERS[@]}"; do lab_wait_tcp 127.0.0.1 "${CA_PORT[$peer]}" 20; done
  api_password | "${LABCTL[@]}" wait-ha 30 || lab_die "the Kea HA pair did not become healthy"
  lab_log "Kea HA pair healthy (control agents 127.0.0.1:8001, 127.0.0.1:8002)"
}

stop_peer() {
  local peer="$1"
  [[ -n "${DHCP_PORT[$peer]:-}" ]] || lab_die "unknown peer '$peer' (${PEERS[*]})"
  lab_stop "kea-ca-$peer"
  lab_stop "kea-dhcp4-$peer"
  rm -f "$KEA_DIR/kea-dhcp4-$peer.kea-dhcp4.pid" "$KEA_DIR/kea-ctrl-agent-$peer.kea-ctrl-agent.pid"
}

down() {
  local peer
  for peer in "${PEERS[@]}"; do stop_peer "$peer"; done
  rm -rf "$KEA_DIR"
}

status() {
  local peer rc=0
  for peer in "${PEERS[@]}"; do
    lab_running "kea-dhcp4-$peer" && lab_running "kea-ca-$peer" || { lab_log "$peer not running"; rc=1; }
  done
  if [[ $rc -eq 0 ]]; then
    api_password | "${LABCTL[@]}" status | while read -r line; do lab_log "$line"; done
    rc=${PIPESTATUS[1]}
  fi
  return "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-peer) stop_peer "${2:-}" ;;
  *) echo "usage: $0 up|down|status|stop-peer NAME" >&2; exit 2 ;;
esac
