#!/usr/bin/env bash
# The monitoring host mon01 on the controller, on loopback: Prometheus 127.0.0.1:9090 (lifecycle API on,
# 5 s scrape and evaluation), Alertmanager 127.0.0.1:9093 (no clustering), the blackbox exporter
# 127.0.0.1:9115, the SNMP exporter 127.0.0.1:9116 and the project's UPS (NUT) exporter 127.0.0.1:9199
# (with the Kea pool collector and the RADIUS probe of the pair radius01/radius02); beside them the operations desk's mailbox (aiosmtpd, SMTP
# 127.0.0.1:2525, Maildir lab/run/monitoring/mailbox) and the alert receiver 127.0.0.1:9095 that keeps
# the incident records (lab/run/monitoring/records).
# The configuration under lab/run/monitoring/etc/ belongs to the monitoring_config role: `up` writes a
# minimal valid file only where one is missing. `stop`/`start` power the engines alone off and on
# (mon01 in the outage drills); mailbox, receiver and all state stay. `down` stops everything and
# keeps the state (remove lab/run/monitoring to start from nothing).
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

MON="$LAB_RUN/monitoring"
ETC="$MON/etc"
VENV_BIN="$REPO_DIR/.venv/bin"
ENGINES=(mon-prometheus mon-alertmanager mon-blackbox mon-snmp mon-nut-exporter)
PEERS=(mon-mailbox mon-receiver)
declare -A PORT=(
  [mon-prometheus]=9090 [mon-alertmanager]=9093 [mon-blackbox]=9115 [mon-snmp]=9116
  [mon-nut-exporter]=9199 [mon-mailbox]=2525 [mon-receiver]=9095
)

seed() {  # seed FILE CONTENT: a minimal valid file where none is (the role owns it afterwards)
  [[ -e "$1" ]] && return 0
  printf '%s\n' "$2" >"$1"
  lab_log "seeded $(basename "$1")"
}

prepare() {
  # aiosmtpd builds the Maildir only where the folder does not exist yet: make all of it
  mkdir -p "$ETC/rules" "$MON/data" "$MON/alertmanager" "$MON/mailbox"/{cur,new,tmp} "$MON/records"
  seed "$ETC/prometheus.yml" $'# seeded by lab/components/80-monitoring.sh; playbooks/monitoring_config.yml owns this file\nglobal:\n  scrape_interval: 5s\n  evaluation_interval: 5s\nrule_files:\n  - rules/*.yml'
  seed "$ETC/alertmanager.yml" $'# seeded; playbooks/monitoring_config.yml owns this file\nroute:\n  receiver: none\nreceivers:\n  - name: none'
  seed "$ETC/blackbox.yml" $'# seeded; playbooks/monitoring_config.yml owns this file\nmodules:\n  tcp_connect:\n    prober: tcp\n    timeout: 3s'
  seed "$ETC/snmp.yml" $'# seeded; playbooks/monitoring_config.yml owns this file\n{}'
  # the Kea pool collector reads the Control Agents with this (lab-only) account
  # and probes the RADIUS pair (75-radius.sh) with the shared secret and the probe account
  local kea secret password
  { read -r kea; read -r secret; read -r password; } < <(
    lab_secret vault_lab_kea_api_password vault_lab_radius_secret vault_lab_radius_probe_password)
  (
    umask 077
    printf 'jichitai-ops:%s\n' "$kea" >"$MON/kea-auth"
    printf '%s\n' "$secret" >"$MON/radius.secret"
    printf 'jichitai-probe:%s\n' "$password" >"$MON/radius-probe.auth"
  )
}

start_engines() {
  lab_start mon-prometheus /usr/bin/prometheus --config.file="$ETC/prometheus.yml" \
    --storage.tsdb.path="$MON/data" --web.listen-address=127.0.0.1:9090 --web.enable-lifecycle \
    --storage.tsdb.retention.time=2d
  lab_start mon-alertmanager /usr/bin/prometheus-alertmanager --config.file="$ETC/alertmanager.yml" \
    --storage.path="$MON/alertmanager" --web.listen-address=127.0.0.1:9093 --cluster.listen-address=
  # as root here, so the ICMP prober may open raw sockets (production: the package's CAP_NET_RAW)
  lab_start mon-blackbox /usr/bin/prometheus-blackbox-exporter --config.file="$ETC/blackbox.yml" \
    --web.listen-address=127.0.0.1:9115
  lab_start mon-snmp /usr/bin/prometheus-snmp-exporter --config.file="$ETC/snmp.yml" \
    --web.listen-address=127.0.0.1:9116
  lab_start mon-nut-exporter "$VENV_BIN/jichitai-ops" exporter nut --listen 127.0.0.1:9199 \
    --server 127.0.0.1:3493 --kea http://127.0.0.1:8001/ --kea http://127.0.0.1:8002/ --kea-auth-file "$MON/kea-auth" \
    --radius radius01=127.0.0.31:1812 --radius radius02=127.0.0.32:1812 \
    --radius-secret-file "$MON/radius.secret" --radius-auth-file "$MON/radius-probe.auth"
  local name
  for name in "${ENGINES[@]}"; do lab_wait_tcp 127.0.0.1 "${PORT[$name]}" 30; done
}

start_peers() {
  lab_start mon-mailbox "$VENV_BIN/python" -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox "$MON/mailbox"
  lab_wait_tcp 127.0.0.1 2525 30
  if "$VENV_BIN/jichitai-ops" alerts --help >/dev/null 2>&1; then
    lab_start mon-receiver "$VENV_BIN/jichitai-ops" alerts serve --listen 127.0.0.1:9095 --records "$MON/records"
    lab_wait_tcp 127.0.0.1 9095 30
  else
    lab_log "alert receiver skipped: this jichitai-ops has no 'alerts' command"
  fi
}

up() {
  for bin in prometheus prometheus-alertmanager prometheus-blackbox-exporter prometheus-snmp-exporter; do
    [[ -x /usr/bin/$bin ]] || lab_die "$bin is not installed (make system-deps)"
  done
  prepare
  start_peers
  start_engines
  lab_log "monitoring on 127.0.0.1: prometheus 9090, alertmanager 9093, blackbox 9115, snmp 9116, ups 9199, mail 2525, receiver 9095"
}

stop_engines() {
  local i
  for ((i = ${#ENGINES[@]} - 1; i >= 0; i--)); do lab_stop "${ENGINES[$i]}"; done
}

down() {
  stop_engines
  lab_stop mon-receiver
  lab_stop mon-mailbox
}

status() {
  local name rc=0 running=()
  for name in "${ENGINES[@]}" mon-mailbox; do
    if lab_running "$name"; then running+=("${name#mon-}:${PORT[$name]}"); else lab_log "$name not running"; rc=1; fi
  done
  if "$VENV_BIN/jichitai-ops" alerts --help >/dev/null 2>&1; then
    if lab_running mon-receiver; then running+=("receiver:9095"); else lab_log "mon-receiver not running"; rc=1; fi
  fi
  [[ $rc -eq 0 ]] && lab_log "monitoring running on 127.0.0.1 (${running[*]})"
  return "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop) stop_engines ;;
  start) prepare; start_engines ;;
  *) echo "usage: $0 up|down|status|stop|start" >&2; exit 2 ;;
esac
