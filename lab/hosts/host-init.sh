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
mount -t tmpfs -o mode=0755,size=64m tmpfs "$root/run"
mkdir -p "$root/run/sshd"

trap 'kill -TERM "$sshd" 2>/dev/null; exit 0' TERM INT
chroot "$root" /usr/sbin/sshd -D -e &
sshd=$!
# as PID 1 this shell also reaps the orphans of ended sessions
while kill -0 "$sshd" 2>/dev/null; do wait "$sshd" || true; done
