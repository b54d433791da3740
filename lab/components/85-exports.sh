#!/usr/bin/env bash
# Stand-in for what the daily check reads from products the lab cannot run: the antivirus management
# server's export of definition versions (lab/run/daily/av_export.json), dated today at every bring-up
# as a server that updated overnight would show it. The recorded Windows exports are in lab/daily/.
#   usage: 85-exports.sh up|down|status
source "$(dirname "$0")/../lib.sh"
lab_serialise "$0" "$@"

EXPORT="$LAB_RUN/daily/av_export.json"

up() {
  mkdir -p "$(dirname "$EXPORT")"
  printf '{"server": {"name": "av-mgmt (lab)", "definition_version": "%s.001", "definition_date": "%s"}, "endpoints": []}\n' \
    "$(date +%Y.%m.%d)" "$(date +%Y-%m-%dT%H:%M:%S%:z)" >"$EXPORT.tmp" && mv "$EXPORT.tmp" "$EXPORT"
  lab_log "antivirus export written: $EXPORT"
}

down() { rm -f "$EXPORT"; }

status() { [[ -s "$EXPORT" ]] || { lab_log "no antivirus export"; return 1; }; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
