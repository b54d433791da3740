#!/usr/bin/env bash
# Linux servers and branch-site gateways of the lab inventory, as network namespaces.
#  - every host of group `linux` (inventories/lab/hosts.yml): namespace labh-<host>, a veth on
#    the segment's bridge (labbr-<segment>, 198.18.x.1/24), an overlay root from the cached
#    Debian tarball (lab/hosts/build-rootfs.sh) and sshd (root, lab key lab/run/ssh/id_ed25519)
#    run by lab/hosts/host-init.sh as PID 1 of the host's own PID and mount namespaces, which also
#    "reboots" the host when /usr/local/sbin/lab-reboot asks (SIGUSR1);
#  - every branch gateway (jichitai_role: gateway): an address 198.19.<site no>.1 of the one
#    namespace labh-gw, so the controller can ping it.
# Hosts get no default route: they reach their segment's /24 and nothing else.
# Usage: 60-hosts.sh up|down|status|stop-host NAME|start-host NAME
source "$(dirname "$0")/../lib.sh"

HOSTS_DIR="$LAB_RUN/hosts"
LOWER="$HOSTS_DIR/lower"
SSH_DIR="$LAB_RUN/ssh"
GW_NS="labh-gw"
GW_LINK="lvh-gw"
GW_ROOT_ADDR="198.19.0.254/16"

declare -A HOST_ADDR=() HOST_SEG=() GW_ADDR=()
load_inventory() {
  local kind name addr seg
  while read -r kind name addr seg; do
    case "$kind" in
      host) HOST_ADDR[$name]="$addr"; HOST_SEG[$name]="$seg" ;;
      gw) GW_ADDR[$name]="$addr" ;;
    esac
  done < <("$REPO_DIR/.venv/bin/python" "$LAB_DIR/hosts/lab_hosts.py" "$REPO_DIR/inventories/lab/hosts.yml")
}

ns_of() { printf 'labh-%s' "$1"; }
link_of() { printf 'lvh-%s' "${1:0:11}"; }
bridge_of() { printf 'labbr-%s' "${1:0:9}"; }
proc_of() { printf 'host-%s' "$1"; }

ensure_ssh_key() {
  mkdir -p "$SSH_DIR"; chmod 0700 "$SSH_DIR"
  [[ -s "$SSH_DIR/id_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C "jichitai-ops lab" -f "$SSH_DIR/id_ed25519"
}

ensure_lower() {
  local tarball
  tarball="$(bash "$LAB_DIR/hosts/build-rootfs.sh")"
  if [[ "$(cat "$LOWER/.lab-rootfs" 2>/dev/null)" != "$(basename "$tarball")" ]]; then
    lab_log "extracting $(basename "$tarball")"
    rm -rf "$LOWER" "$HOSTS_DIR"/*/upper "$HOSTS_DIR"/*/work
    mkdir -p "$LOWER"
    tar -xf "$tarball" -C "$LOWER"
    basename "$tarball" >"$LOWER/.lab-rootfs"
  fi
}

# prepare_root NAME ADDR : the host's own files, written into its overlay upper layer
prepare_root() {
  local name="$1" addr="$2" dir="$HOSTS_DIR/$1" up
  up="$dir/upper"
  mkdir -p "$up/etc/ssh/sshd_config.d" "$up/root/.ssh" "$dir/work" "$dir/root"
  printf '%s\n' "$name" >"$up/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost\n%s %s.lab.jichitai.test %s\n' "$addr" "$name" "$name" >"$up/etc/hosts"
  cat >"$up/etc/ssh/sshd_config.d/lab.conf" <<EOF
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
UsePAM no
EOF
  [[ -s "$up/etc/ssh/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$up/etc/ssh/ssh_host_ed25519_key"
  install -m 0600 "$SSH_DIR/id_ed25519.pub" "$up/root/.ssh/authorized_keys"
  chmod 0700 "$up/root/.ssh"
  # no Debian mirror is reachable: a host's packages come from the lab repository (65-aptrepo.sh)
  mkdir -p "$up/etc/apt" "$up/usr/local/sbin"
  printf '# Debian mirrors are not reachable from the lab: see /etc/apt/sources.list.d/\n' >"$up/etc/apt/sources.list"
  # reboot without a kernel: host-init.sh (PID 1) restarts the host on SIGUSR1; detached and
  # delayed, so the SSH session that asked ends cleanly first
  cat >"$up/usr/local/sbin/lab-reboot" <<'EOF'
#!/bin/sh
# Reboot this lab host: PID 1 (lab/hosts/host-init.sh) ends every process, empties /run and
# starts sshd again. For ansible.builtin.reboot's reboot_command.
setsid -f sh -c 'sleep 1; kill -USR1 1' </dev/null >/dev/null 2>&1
echo "lab host $(uname -n) reboots in 1 s"
EOF
  chmod 0755 "$up/usr/local/sbin/lab-reboot"
}

ensure_bridge() {
  local br="$1" addr="$2"
  ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
  # read the list first: grep -q closing the pipe early fails the pipeline under pipefail
  [[ "$(ip -4 addr show dev "$br")" == *" ${addr%/*}/"* ]] || ip addr add "$addr" dev "$br"
  ip link set "$br" up
}

host_up() {
  local name="$1" addr="${HOST_ADDR[$1]}" ns link br
  ns="$(ns_of "$name")"; link="$(link_of "$name")"; br="$(bridge_of "${HOST_SEG[$name]}")"
  if lab_running "$(proc_of "$name")" && ip netns pids "$ns" >/dev/null 2>&1; then return 0; fi
  host_down "$name"
  prepare_root "$name" "$addr"
  ensure_bridge "$br" "${addr%.*}.1/24"
  ip netns add "$ns"
  ip link add "$link" type veth peer name eth0 netns "$ns"
  ip link set "$link" master "$br" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/24" dev eth0
  ip -n "$ns" link set eth0 up
  lab_start "$(proc_of "$name")" ip netns exec "$ns" unshare --pid --mount --uts --fork --kill-child=TERM \
    "$LAB_DIR/hosts/host-init.sh" "$name" "$LOWER" "$HOSTS_DIR/$name"
}

# host_signal NAME : TERM the host's PID 1 (its whole PID namespace ends with it)
host_signal() {
  local proc pid child
  proc="$(proc_of "$1")"
  lab_running "$proc" || return 0
  pid="$(cat "$(lab_pidfile "$proc")")"
  child="$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null)"
  [[ -z "$child" ]] || kill -TERM "$child" 2>/dev/null || true
}

# ns_empty NS : end every process still in a network namespace (SSH sessions outlive their host's
# PID 1 when they were started in its network namespace only), then wait until none is left; a
# namespace deleted with processes inside lives on, nameless, with them
ns_empty() {
  local ns="$1" i pids
  ip netns pids "$ns" >/dev/null 2>&1 || return 0
  for i in $(seq 1 50); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [[ -n "$pids" ]] || return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
    pids="$(for p in $pids; do lab_alive "$p" && echo "$p"; done)"
    [[ -n "$pids" ]] || return 0
    sleep 0.1
  done
  lab_log "WARNING: processes left in $ns: $pids"
}

host_down() {
  local name="$1"
  host_signal "$name"
  lab_forget "$(proc_of "$name")"
  ns_empty "$(ns_of "$name")"
  ip link del "$(link_of "$name")" 2>/dev/null || true
  ip netns del "$(ns_of "$name")" 2>/dev/null || true
}

gw_up() {
  local name
  if ! ip netns pids "$GW_NS" >/dev/null 2>&1; then
    ip link del "$GW_LINK" 2>/dev/null || true
    ip netns add "$GW_NS"
    ip link add "$GW_LINK" type veth peer name eth0 netns "$GW_NS"
    ip addr add "$GW_ROOT_ADDR" dev "$GW_LINK"
    ip link set "$GW_LINK" up
    ip -n "$GW_NS" link set lo up
    ip -n "$GW_NS" link set eth0 up
    ip -n "$GW_NS" route add default dev eth0
  fi
  for name in "${!GW_ADDR[@]}"; do gw_addr_up "$name"; done
}

gw_addr_up() {
  local addr="${GW_ADDR[$1]}"
  [[ "$(ip -n "$GW_NS" -4 addr show dev eth0)" == *" $addr/"* ]] || ip -n "$GW_NS" addr add "$addr/24" dev eth0
}

gw_addr_down() { ip -n "$GW_NS" addr del "${GW_ADDR[$1]}/24" dev eth0 2>/dev/null || true; }

# wait_ssh ADDR... : every sshd answers with its banner
wait_ssh() {
  local addr i banner
  for addr in "$@"; do
    for i in $(seq 1 100); do
      banner="$(timeout 1 bash -c "exec 3<>/dev/tcp/$addr/22 && head -c 7 <&3" 2>/dev/null || true)"
      [[ "$banner" == "SSH-2.0" ]] && break
      sleep 0.1
    done
    [[ "$banner" == "SSH-2.0" ]] || lab_die "sshd on $addr did not answer (see $LAB_RUN/log/)"
  done
}

write_known_hosts() {
  local name out="$SSH_DIR/known_hosts"
  : >"$out.tmp"
  for name in "${!HOST_ADDR[@]}"; do
    printf '%s %s\n' "${HOST_ADDR[$name]}" "$(cut -d' ' -f1,2 "$HOSTS_DIR/$name/upper/etc/ssh/ssh_host_ed25519_key.pub")" >>"$out.tmp"
  done
  sort "$out.tmp" >"$out"; rm -f "$out.tmp"
}

up() {
  command -v mmdebstrap >/dev/null || lab_die "mmdebstrap is not installed (make system-deps)"
  load_inventory
  ensure_ssh_key
  ensure_lower
  local name addrs=()
  for name in "${!HOST_ADDR[@]}"; do host_up "$name"; addrs+=("${HOST_ADDR[$name]}"); done
  write_known_hosts
  gw_up
  wait_ssh "${addrs[@]}"
  lab_log "${#HOST_ADDR[@]} hosts (sshd) and ${#GW_ADDR[@]} branch gateways up"
}

down() {
  local f name ns link
  for f in "$LAB_RUN"/pids/host-*.pid; do  # all at once first, then wait for each
    [[ -e "$f" ]] || continue
    name="$(basename "$f" .pid)"; host_signal "${name#host-}"
  done
  for f in "$LAB_RUN"/pids/host-*.pid; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f" .pid)"; host_down "${name#host-}"
  done
  # whatever else the lab created, even for hosts no longer in the inventory
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^labh-/ {print $1}'); do
    ns_empty "$ns"
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -E '^(lvh-|labbr-)'); do
    ip link del "$link" 2>/dev/null || true
  done
  lab_log "hosts, gateways and their namespaces removed"
}

status() {
  load_inventory
  local name rc=0 up=0 gws
  for name in "${!HOST_ADDR[@]}"; do
    if lab_running "$(proc_of "$name")" && (exec 3<>"/dev/tcp/${HOST_ADDR[$name]}/22") 2>/dev/null; then
      up=$((up + 1))
    else
      lab_log "host $name (${HOST_ADDR[$name]}) down"; rc=1
    fi
  done
  gws="$(ip -n "$GW_NS" -4 -o addr show dev eth0 2>/dev/null | grep -c ' 198\.19\.' || true)"
  [[ "$gws" -eq "${#GW_ADDR[@]}" ]] || { lab_log "branch gateways: $gws of ${#GW_ADDR[@]} answer"; rc=1; }
  [[ $rc -eq 0 ]] && lab_log "$up hosts (sshd) and $gws branch gateways up"
  return $rc
}

# one host's "power": a Linux host loses its namespace, a gateway its address
host_power() {
  local action="$1" name="${2:?host name}"
  load_inventory
  if [[ -n "${HOST_ADDR[$name]:-}" ]]; then
    if [[ "$action" == on ]]; then ensure_ssh_key; ensure_lower; host_up "$name"; wait_ssh "${HOST_ADDR[$name]}"
    else host_down "$name"; fi
  elif [[ -n "${GW_ADDR[$name]:-}" ]]; then
    if [[ "$action" == on ]]; then gw_addr_up "$name"; else gw_addr_down "$name"; fi
  else
    lab_die "$name is neither a Linux host nor a branch gateway of the lab inventory"
  fi
  lab_log "$name powered $action"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  start-host) host_power on "${2:-}" ;;
  stop-host) host_power off "${2:-}" ;;
  *) echo "usage: $0 up|down|status|start-host NAME|stop-host NAME" >&2; exit 2 ;;
esac
