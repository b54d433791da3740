#!/usr/bin/env bash
# The antivirus pipeline on loopback, with ClamAV as the real engine (the contract's product is
# proprietary; its management server's export is 85-exports.sh's). docs/antivirus.md.
#   definitions source  http://127.0.0.1:8310/jichitai-lab.cud - the lab's signatures (.ndb, .hdb, .ldb)
#                       in one versioned, unsigned container (lab/antivirus/signatures.py), served by
#                       python3 -m http.server from lab/run/antivirus/source
#   endpoint av-ep01    freshclam with its own configuration (custom URL only, official databases
#                       excluded, PrivateMirror on loopback: nothing leaves the machine) into
#                       lab/run/antivirus/endpoint/db, and its own clamd (socket lab/run/antivirus/clamd.sock)
#                       whose VirusEvent records a detection (lab/run/antivirus/detections) and raises it
#                       to mon01's Alertmanager (127.0.0.1:9093), as the management server's notification would
# The transfer stand-in's clamd (70-transfer.sh) is another instance and is not touched.
#   usage: 72-antivirus.sh up|down|status|publish [SIGFILE ...]|update|make-stale [DAYS]
#     publish     the source's next version: the lab's base signatures plus each SIGFILE's (.ndb/.hdb/.ldb)
#     update      the endpoint's freshclam run (as its schedule would); clamd reloads
#     make-stale  the source's and the endpoint's definitions as if built DAYS (default 5) days ago;
#                 `publish` then `update` bring them back
source "$(dirname "$0")/../lib.sh"
lab_serialise "$0" "$@"

AV_RUN="$LAB_RUN/antivirus"
PORT="${AV_PORT:-8310}"
HOST=av-ep01
ALERTMANAGER="${AV_ALERTMANAGER:-http://127.0.0.1:9093}"
SIGS=(python3 "$LAB_DIR/antivirus/signatures.py")
CONTAINER=jichitai-lab.cud

prepare() {
  mkdir -p "$AV_RUN"/{source,endpoint/db,tmp,detections}
  local f
  for f in freshclam clamd; do
    sed -e "s|@RUN@|$AV_RUN|g" -e "s|@PORT@|$PORT|g" -e "s|@LAB@|$LAB_DIR|g" -e "s|@HOST@|$HOST|g" \
      -e "s|@ALERTMANAGER@|$ALERTMANAGER|g" "$LAB_DIR/antivirus/$f.conf.in" >"$AV_RUN/$f.conf"
  done
  [[ -s "$AV_RUN/source/$CONTAINER" ]] || "${SIGS[@]}" publish "$AV_RUN/source" "$AV_RUN/build" >&2
}

update() {  # freshclam exits 0 when up to date or updated; NotifyClamd fails harmlessly while clamd is down
  freshclam --config-file="$AV_RUN/freshclam.conf" --stdout >>"$LAB_RUN/log/av-freshclam.log" 2>&1 \
    || lab_die "freshclam failed (see $LAB_RUN/log/av-freshclam.log)"
}

start_source() {
  lab_start av-source python3 -m http.server --bind 127.0.0.1 --directory "$AV_RUN/source" "$PORT"
  lab_wait_tcp 127.0.0.1 "$PORT" 30
}

start_clamd() {
  lab_running av-clamd && [[ -S "$AV_RUN/clamd.sock" ]] && return 0
  lab_stop av-clamd
  rm -f "$AV_RUN/clamd.sock"
  lab_start av-clamd clamd --config-file="$AV_RUN/clamd.conf"
  local i
  for i in $(seq 1 300); do [[ -S "$AV_RUN/clamd.sock" ]] && return 0; lab_running av-clamd || break; sleep 0.1; done
  lab_die "clamd did not open $AV_RUN/clamd.sock (see $AV_RUN/clamd.log)"
}

up() {
  local bin
  for bin in clamd freshclam sigtool; do command -v "$bin" >/dev/null || lab_die "$bin is not installed (make system-deps)"; done
  prepare
  start_source
  update
  start_clamd
  lab_log "antivirus up: source http://127.0.0.1:$PORT/$CONTAINER, endpoint $HOST (clamd $AV_RUN/clamd.sock)"
}

down() {
  lab_stop av-clamd
  lab_stop av-source
  rm -f "$AV_RUN/clamd.sock"
}

status() {
  local rc=0
  lab_running av-source || { lab_log "definitions source not running"; rc=1; }
  lab_running av-clamd && [[ -S "$AV_RUN/clamd.sock" ]] || { lab_log "endpoint clamd not running"; rc=1; }
  [[ $rc -eq 0 ]] && lab_log "antivirus running (source 127.0.0.1:$PORT, clamd $AV_RUN/clamd.sock)"
  return "$rc"
}

make_stale() {
  local days="${1:-5}"
  "${SIGS[@]}" restamp "$days" "$AV_RUN/source/$CONTAINER" "$AV_RUN/endpoint/db/$CONTAINER" >&2
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  publish) shift; prepare; "${SIGS[@]}" publish "$AV_RUN/source" "$AV_RUN/build" "$@" >&2 ;;
  update) update ;;
  make-stale) shift; make_stale "$@" ;;
  *) echo "usage: $0 up|down|status|publish [SIGFILE ...]|update|make-stale [DAYS]" >&2; exit 2 ;;
esac
