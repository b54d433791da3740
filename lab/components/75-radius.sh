#!/usr/bin/env bash
# FreeRADIUS 3.2 standing in for the RADIUS pair: radius01 on 127.0.0.31, radius02 on 127.0.0.32, each
# a server of its own (`freeradius -f -d lab/run/radius/<peer>/conf`) with a minimal configuration
# written here: auth 1812/udp (also 1812/tcp, the port the outage gates and pre-checks knock on),
# acct 1813/udp, Status-Server on, one client 127.0.0.0/8 (secret vault_lab_radius_secret) and one
# user in `files`: jichitai-probe (Cleartext-Password vault_lab_radius_probe_password).
# The local dictionary is copied from the installed package (/etc/freeradius/3.0); the rest of the
# stock configuration is left out on purpose.
#   usage: 75-radius.sh up|down|status|stop-peer NAME|start-peer NAME|peer-running NAME
source "$(dirname "$0")/../lib.sh"
source "$LAB_DIR/secrets.sh"
lab_serialise "$0" "$@"

RADIUS_RUN="$LAB_RUN/radius"
PEERS=(radius01 radius02)
declare -A ADDRESS=([radius01]=127.0.0.31 [radius02]=127.0.0.32)
PROBE_USER="jichitai-probe"
STOCK=/etc/freeradius/3.0

known_peer() { [[ -n "${ADDRESS[${1:-}]:-}" ]] || lab_die "unknown peer '${1:-}' (${PEERS[*]})"; }

# write_config PEER : the peer's configuration directory, secrets in files of mode 0600
write_config() {
  local peer="$1" addr="${ADDRESS[$1]}" dir="$RADIUS_RUN/$1" secret password
  rm -rf "$dir"
  mkdir -p "$dir/conf" "$dir/run"
  chmod 0700 "$dir"
  { read -r secret; read -r password; } < <(lab_secret vault_lab_radius_secret vault_lab_radius_probe_password)
  install -m 0644 "$STOCK/dictionary" "$dir/conf/dictionary"
  (
    umask 077
    printf '%s\n' "$secret" >"$dir/secret"
    printf 'client lab {\n  ipaddr = 127.0.0.0/8\n  proto = *\n  secret = "%s"\n  shortname = lab\n}\n' \
      "$secret" >"$dir/conf/clients.conf"
    printf '%s Cleartext-Password := "%s"\n' "$PROBE_USER" "$password" >"$dir/conf/users"
    printf 'User-Name = "%s"\nUser-Password = "%s"\nNAS-IP-Address = 127.0.0.1\nMessage-Authenticator = 0x00\n' \
      "$PROBE_USER" "$password" >"$dir/probe.request"
  )
  sed -e "s|@CONF@|$dir/conf|g" -e "s|@RUN@|$dir/run|g" -e "s|@ADDR@|$addr|g" -e "s|@PEER@|$peer|g" \
    >"$dir/conf/radiusd.conf" <<'EOF'
# lab stand-in @PEER@ (lab/components/75-radius.sh)
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = @RUN@
sbindir = /usr/sbin
logdir = @RUN@
raddbdir = @CONF@
radacctdir = @RUN@
name = freeradius
confdir = ${raddbdir}
modconfdir = ${confdir}
run_dir = @RUN@
db_dir = @RUN@
libdir = /usr/lib/freeradius
pidfile = ${run_dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
modules {
  always ok {
    rcode = ok
  }
  pap {
  }
  files {
    filename = ${confdir}/users
  }
}
$INCLUDE clients.conf
server default {
  listen {
    type = auth
    ipaddr = @ADDR@
    port = 1812
  }
  listen {
    type = auth
    proto = tcp
    ipaddr = @ADDR@
    port = 1812
  }
  listen {
    type = acct
    ipaddr = @ADDR@
    port = 1813
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  preacct {
  }
  accounting {
    ok
  }
  post-auth {
  }
}
EOF
}

# check_peer PEER : the probe account's Access-Request is answered with Access-Accept
check_peer() {
  local dir="$RADIUS_RUN/$1"
  radclient -q -r 2 -t 2 -S "$dir/secret" -f "$dir/probe.request" "${ADDRESS[$1]}:1812" auth >/dev/null 2>&1 ||
    lab_die "$1 (${ADDRESS[$1]}:1812) did not answer the probe with Access-Accept (see $LAB_RUN/log/radius-$1.log)"
}

start_peer() {
  known_peer "$1"
  local peer="$1"
  if ! lab_running "radius-$peer"; then
    [[ -s "$RADIUS_RUN/$peer/conf/radiusd.conf" ]] || write_config "$peer"
    lab_start "radius-$peer" /usr/sbin/freeradius -f -d "$RADIUS_RUN/$peer/conf"
  fi
  lab_wait_tcp "${ADDRESS[$peer]}" 1812 20
  check_peer "$peer"
}

stop_peer() {
  known_peer "$1"
  lab_stop "radius-$1"
}

up() {
  [[ -x /usr/sbin/freeradius && -d "$STOCK" ]] || lab_die "freeradius is not installed (make system-deps)"
  command -v radclient >/dev/null || lab_die "radclient is not installed (freeradius-utils)"
  local peer
  for peer in "${PEERS[@]}"; do
    # a stopped peer gets its configuration rewritten from the vault
    lab_running "radius-$peer" || write_config "$peer"
  done
  for peer in "${PEERS[@]}"; do start_peer "$peer"; done
  lab_log "FreeRADIUS pair up (radius01 127.0.0.31:1812, radius02 127.0.0.32:1812; probe Access-Accept)"
}

down() {
  local peer
  for peer in "${PEERS[@]}"; do lab_stop "radius-$peer"; done
  rm -rf "$RADIUS_RUN"
}

status() {
  local peer rc=0
  for peer in "${PEERS[@]}"; do
    if ! lab_running "radius-$peer" || ! (exec 3<>"/dev/tcp/${ADDRESS[$peer]}/1812") 2>/dev/null; then
      lab_log "radius-$peer not running"; rc=1
    fi
  done
  [[ $rc -eq 0 ]] && lab_log "FreeRADIUS pair up (radius01 127.0.0.31:1812, radius02 127.0.0.32:1812)"
  return "$rc"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-peer) stop_peer "${2:-}" ;;
  start-peer) start_peer "${2:-}" ;;
  peer-running) known_peer "${2:-}"; lab_running "radius-$2" ;;
  *) echo "usage: $0 up|down|status|stop-peer NAME|start-peer NAME|peer-running NAME" >&2; exit 2 ;;
esac
