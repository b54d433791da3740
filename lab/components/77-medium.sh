#!/usr/bin/env bash
# The monthly off-site medium (遠隔地保管媒体, OPS-BACKUP §6-3(6)④) of the backup drills: a loop-mounted
# ext4 image, lab/run/backup/medium.img (64 MiB) mounted at lab/run/backup/medium, as a USB disk would be
# mounted on the backup host. Where the kernel refuses the mount, the folder is a stand-in said to be a
# medium (a file .jichitai-medium-standin in it; backup_offsite accepts it only with that file). docs/backup.md.
#   usage: 77-medium.sh up|down|status|plug|unplug|flip FILE|remove FILE
#     up / plug     make the image when missing and mount it (plug: the medium is back in the drive)
#     down / unplug unmount it (the image and its contents stay: the medium taken out of the drive)
#     flip FILE     flip one byte in the middle of FILE (a path relative to the medium) on the device itself
#     remove FILE   delete FILE (relative to the medium) from the medium
source "$(dirname "$0")/../lib.sh"
lab_serialise "$0" "$@"

MEDIUM_RUN="$LAB_RUN/backup"
IMAGE="$MEDIUM_RUN/medium.img"
MOUNT="$MEDIUM_RUN/medium"
SIZE="${MEDIUM_SIZE:-64M}"
STANDIN=".jichitai-medium-standin"

mounted() { mountpoint -q "$MOUNT"; }

plug() {
  mkdir -p "$MOUNT"
  mounted && return 0
  if [[ ! -s "$IMAGE" ]]; then
    truncate -s "$SIZE" "$IMAGE"
    mkfs.ext4 -q -L JICHITAI-OFF "$IMAGE" || lab_die "mkfs.ext4 failed on $IMAGE"
  fi
  if mount -o loop "$IMAGE" "$MOUNT" 2>>"$LAB_RUN/log/backup-medium.log"; then
    rm -f "$MOUNT/$STANDIN"
    lab_log "medium $IMAGE mounted at $MOUNT"
  else
    touch "$MOUNT/$STANDIN"
    lab_log "mount refused: $MOUNT is a folder said to be the medium ($STANDIN)"
  fi
}

unplug() {
  if mounted; then
    sync
    umount "$MOUNT" || lab_die "cannot unmount $MOUNT"
    lab_log "medium unmounted from $MOUNT"
  fi
}

inside() {  # inside FILE -> the absolute path of FILE on the medium; refuses a path that leaves it
  [[ -n "${1:-}" ]] || lab_die "name a file relative to the medium"
  mounted || [[ -e "$MOUNT/$STANDIN" ]] || lab_die "the medium is not plugged in (77-medium.sh plug)"
  local path
  path="$(realpath -m "$MOUNT/$1")"
  [[ "$path" == "$MOUNT"/* ]] || lab_die "$1 is not on the medium"
  [[ -f "$path" ]] || lab_die "$1: no such file on the medium"
  printf '%s' "$path"
}

flip() {
  local path size offset byte
  path="$(inside "${1:-}")"
  size="$(stat -c %s "$path")"
  [[ "$size" -gt 0 ]] || lab_die "$1 is empty: no byte to flip"
  offset=$((size / 2))
  byte="$(od -An -tu1 -j "$offset" -N1 "$path" | tr -d ' ')"
  printf "$(printf '\\%03o' $((byte ^ 0xff)))" | dd of="$path" bs=1 seek="$offset" count=1 conv=notrunc,fsync status=none
  # the next read comes from the device, not from the page cache
  python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$path"
  lab_log "flipped the byte at offset $offset of $1 on the medium"
}

remove() {
  local path
  path="$(inside "${1:-}")"
  rm -f -- "$path"
  sync
  lab_log "removed $1 from the medium"
}

status() {
  if mounted; then
    lab_log "medium mounted at $MOUNT ($(df -h --output=used,size "$MOUNT" | tail -1 | xargs))"
  elif [[ -e "$MOUNT/$STANDIN" ]]; then
    lab_log "medium stand-in folder at $MOUNT"
  else
    lab_log "medium not plugged in"
    return 1
  fi
}

case "${1:-}" in
  up | plug) plug ;;
  down | unplug) unplug ;;
  status) status ;;
  flip) flip "${2:-}" ;;
  remove) remove "${2:-}" ;;
  *) lab_die "usage: $0 up|down|status|plug|unplug|flip FILE|remove FILE" ;;
esac
