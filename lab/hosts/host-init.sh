#!/usr/bin/env bash
# PID 1 of one lab host: runs inside the host's network namespace, in its own PID, mount and UTS
# namespaces (60-hosts.sh starts it with `ip netns exec NS unshare --pid --mount --uts --fork`).
# Mounts the overlay root privately, so when this process ends the kernel ends every process of
# the host and drops every mount with the namespace: nothing outlives the host.
# Usage: host-init.sh HOSTNAME LOWER_DIR HOST_DIR
set -euo pipefail
name="$1" lower="$2" dir="$3"
root="$dir/root"
hostname "$name"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$root"
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/run"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=0755,size=64m tmpfs "$root/dev"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r n maj min <<<"$d"
  mknod -m 0666 "$root/dev/$n" c "$maj" "$min"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
# fresh_run : an empty /run, as after power-on: no /run/reboot-required, a new boot id
fresh_run() {
  mountpoint -q "$root/run" && umount -l "$root/run"
  mount -t tmpfs -o mode=0755,size=64m tmpfs "$root/run"
  mkdir -p "$root/run/sshd"
  cat /proc/sys/kernel/random/uuid >"$root/run/lab-boot-id"
}

start_sshd() {
  chroot "$root" /usr/sbin/sshd -D -e &
  sshd=$!
}

# find_others : OTHERS = every live process of the host but this one (builtins only: a subshell
# would be one of them)
find_others() {
  local p stat
  OTHERS=()
  for p in "$root"/proc/[0-9]*; do
    p="${p##*/}"
    [[ "$p" == 1 ]] && continue
    read -r stat <"$root/proc/$p/stat" 2>/dev/null || continue
    stat="${stat##*) }"
    [[ "${stat%% *}" == Z ]] || OTHERS+=("$p")
  done
}

# reboot (SIGUSR1, /usr/local/sbin/lab-reboot): the host goes down and up again without its
# namespace, addresses or disk changing: every process ends (TERM, KILL after 2 s), /run is fresh
# and sshd starts again
reboot() {
  local i signal
  echo "host-init: $name rebooting"
  for i in $(seq 1 20); do
    find_others
    [[ ${#OTHERS[@]} -gt 0 ]] || break
    signal=TERM; [[ $i -lt 20 ]] || signal=KILL
    kill -"$signal" "${OTHERS[@]}" 2>/dev/null || true
    sleep 0.1
  done
  wait 2>/dev/null || true
  fresh_run
  start_sshd
  echo "host-init: $name up again (boot id $(cat "$root/run/lab-boot-id"))"
}

fresh_run
reboot_requested=0
trap 'kill -TERM "$sshd" 2>/dev/null; exit 0' TERM INT
trap 'reboot_requested=1' USR1
start_sshd
# as PID 1 this shell also reaps the orphans of ended sessions; a trapped signal ends `wait` early
while :; do
  wait "$sshd" || true
  if [[ $reboot_requested -eq 1 ]]; then reboot_requested=0; reboot; continue; fi
  kill -0 "$sshd" 2>/dev/null || break
done
