#!/usr/bin/env bash
# "Power" of a lab stand-in for the planned-outage playbooks (docs/outage.md): `off` stops the
# stand-in's lab services and processes through its lab component, `on` starts them again. The
# machine the lab runs on is never powered off, shut down or rebooted.
#   usage: power.sh off|on|status HOST     (prints CHANGED when it changed something)
#          power.sh break|fix HOST         fault injection: a broken stand-in does not come back on `on`
LAB_COMPONENT=outage
source "$(dirname "$0")/../lib.sh"

COMP="$LAB_DIR/components"

# component NAME ARGS... : run one lab component script (lab/components/NAME.sh) as lab/up.sh does
component() { LAB_COMPONENT="$1" bash "$COMP/$1.sh" "${@:2}"; }
BROKEN_DIR="$LAB_RUN/outage/broken"
mkdir -p "$BROKEN_DIR"

# lab_host_line HOST -> "host NAME ADDR SEGMENT" or "gw NAME ADDR" (lab/hosts/lab_hosts.py)
lab_host_line() {
  "$REPO_DIR/.venv/bin/python" "$LAB_DIR/hosts/lab_hosts.py" "$REPO_DIR/inventories/lab/hosts.yml" |
    awk -v h="$1" '$2 == h'
}

# stand_in HOST -> samba | kea | nshost | gw
stand_in() {
  case "$1" in
    ad01 | ad02) echo samba ;;  # each its own Samba AD DC of the lab domain
    dhcp01 | dhcp02) echo kea ;;
    ups[0-9]*) lab_die "$1 is a UPS: the outage playbooks switch it through ups_control, not here" ;;
    *)
      case "$(lab_host_line "$1" | cut -d' ' -f1)" in
        host) echo nshost ;;
        gw) echo gw ;;
        *) lab_die "no lab stand-in for '$1'" ;;
      esac
      ;;
  esac
}

is_on() {
  case "$2" in
    samba) component 20-samba dc-running "$1" 2>/dev/null ;;
    kea) lab_running "kea-dhcp4-$1" && lab_running "kea-ca-$1" ;;
    nshost) lab_running "host-$1" ;;  # 60-hosts.sh records each namespace host as host-<name>
    gw)
      # read the whole listing first: grep -q closing the pipe early would fail it under pipefail
      local addrs
      addrs="$(ip -n labh-gw -4 addr show dev eth0 2>/dev/null || true)"
      grep -q " $(lab_host_line "$1" | cut -d' ' -f3)/" <<<"$addrs"
      ;;
  esac
}

power_off() {
  case "$2" in
    samba) component 20-samba stop-dc "$1" ;;
    kea) component 30-kea stop-peer "$1" ;;
    nshost | gw) component 60-hosts stop-host "$1" ;;
  esac
}

power_on() {
  case "$2" in
    samba) component 20-samba start-dc "$1" ;;
    kea)
      if grep -q 'start-peer)' "$COMP/30-kea.sh"; then
        component 30-kea start-peer "$1"
      else
        component 30-kea up  # starts whichever peer is missing
      fi
      ;;
    nshost | gw) component 60-hosts start-host "$1" ;;
  esac
}

main() {
  local action="${1:-}" host="${2:-}" kind
  [[ -n "$host" ]] || { echo "usage: $0 off|on|status|break|fix HOST" >&2; exit 2; }
  kind="$(stand_in "$host")"
  case "$action" in
    off)
      if ! is_on "$host" "$kind"; then
        echo "$host: already off"
      elif power_off "$host" "$kind"; then
        echo "CHANGED: $host off"
      else
        echo "$host: off"
      fi
      ;;
    on)
      if [[ -e "$BROKEN_DIR/$host" ]]; then
        lab_log "$host is broken (fault injected with '$0 break $host'): power applied, nothing comes up"
        echo "$host: does not come back"
      elif is_on "$host" "$kind"; then
        echo "$host: already on"
      elif power_on "$host" "$kind"; then
        echo "CHANGED: $host on"
      else
        echo "$host: on"
      fi
      ;;
    status)
      if is_on "$host" "$kind"; then echo "$host: on"; else echo "$host: off"; return 3; fi
      ;;
    break) : >"$BROKEN_DIR/$host"; echo "CHANGED: $host broken" ;;
    fix) rm -f "$BROKEN_DIR/$host"; echo "CHANGED: $host fixed" ;;
    *) echo "usage: $0 off|on|status|break|fix HOST" >&2; exit 2 ;;
  esac
}

main "$@"
