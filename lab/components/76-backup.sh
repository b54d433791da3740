#!/usr/bin/env bash
# The backup engine of the lab: restic (Debian package) on the controller, which is the lab's engine
# host (jichitai_backup_engine_host: localhost) because the file share is on the controller's loopback.
# docs/backup.md. The jobs are those of inventories/lab/group_vars/all/backup.yml:
#   ad01-share     file server: ad01's SMB share folder, lab/run/samba/share (Samba's [share]);
#                  seeded at `up` with a department tree (Japanese folder names, ~300 files, ~4 MB) when empty
#   mail01-config  server: lab/run/backup/sources/mail01 (configuration and logs), seeded when empty
#   ad01-system    server: lab/run/backup/sources/ad01 (the controller's exported system state), seeded when empty
# State, all under lab/run/backup:
#   repos/<job>/          the restic repositories, initialised at `up`
#   records/<job>.json    the last run record of each job (plugins/module_utils/backup/engine.py's shape)
#   restic-password       the repositories' password (0600), from the lab vault's vault_lab_backup_password
#   cache/                restic's cache
# There is no server process: `status` says whether the repositories open.
#   usage: 76-backup.sh up|down|status
#          76-backup.sh run JOB          the nightly run as the engine's schedule would (backup, run record)
#          76-backup.sh fail JOB         a run that fails (the repository cannot be opened): its record
#          76-backup.sh edit JOB [N]     a day's work at the source: N (default 5) files changed, one new
#          76-backup.sh make-stale JOB [HOURS]  the last run record as if it ran HOURS (default 30) earlier
#          76-backup.sh flip-pack JOB    one byte flipped in one data pack; prints the pack id
#          76-backup.sh unflip JOB       the flipped byte put back
#          76-backup.sh reset JOB...     each job's repository emptied (initialised again) and its record
#                                        removed; a source that holds no file is seeded again
#          76-backup.sh repo JOB         prints the repository path;  76-backup.sh password-file  its path
# `down` keeps the repositories and sources (as a server keeps its disks); `reset` is the way to start again.
source "$(dirname "$0")/../lib.sh"
lab_serialise "$0" "$@"
source "$LAB_DIR/secrets.sh"

BK="$LAB_RUN/backup"
PWFILE="$BK/restic-password"
PY=("$REPO_DIR/.venv/bin/python" "$LAB_DIR/backup/lab_backup.py")
export RESTIC_CACHE_DIR="$BK/cache"

declare -A SOURCE=([ad01-share]="$LAB_RUN/samba/share" [mail01-config]="$BK/sources/mail01"
  [ad01-system]="$BK/sources/ad01")
declare -A HOST=([ad01-share]=ad01 [mail01-config]=mail01 [ad01-system]=ad01)
JOBS=(ad01-share mail01-config ad01-system)

known_job() { [[ -n "${SOURCE[${1:-}]:-}" ]] || lab_die "no lab backup job '${1:-}' (${JOBS[*]})"; }
repo() { printf '%s/repos/%s' "$BK" "$1"; }
record() { printf '%s/records/%s.json' "$BK" "$1"; }

write_password() {
  mkdir -p "$BK"
  local tmp="$PWFILE.tmp"
  (umask 077 && lab_secret vault_lab_backup_password >"$tmp") || { rm -f "$tmp"; lab_die "no backup password in the lab vault"; }
  if cmp -s "$tmp" "$PWFILE"; then rm -f "$tmp"; else mv "$tmp" "$PWFILE"; fi
}

opens() { RESTIC_REPOSITORY="$(repo "$1")" RESTIC_PASSWORD_FILE="$PWFILE" restic cat config >/dev/null 2>&1; }

init_repo() {
  local r
  r="$(repo "$1")"
  if [[ -f "$r/config" ]]; then
    opens "$1" || lab_die "repository $r does not open with the lab vault's password (76-backup.sh reset $1)"
    return 0
  fi
  mkdir -p "$(dirname "$r")"
  RESTIC_REPOSITORY="$r" RESTIC_PASSWORD_FILE="$PWFILE" restic init >>"$LAB_RUN/log/backup.log" 2>&1 \
    || lab_die "restic init $r failed (see $LAB_RUN/log/backup.log)"
  lab_log "repository $1 initialised at $r"
}

seed() {  # the sources, each when it holds no file
  mkdir -p "${SOURCE[ad01-share]}" "${SOURCE[mail01-config]}" "${SOURCE[ad01-system]}"
  "${PY[@]}" seed-share "${SOURCE[ad01-share]}"
  "${PY[@]}" seed-server "${SOURCE[mail01-config]}" mail01
  "${PY[@]}" seed-server "${SOURCE[ad01-system]}" ad01
}

up() {
  command -v restic >/dev/null || lab_die "restic is not installed (make system-deps)"
  mkdir -p "$BK"/{repos,records,sources,cache}
  write_password
  seed
  local job
  for job in "${JOBS[@]}"; do init_repo "$job"; done
  lab_log "backup up: ${JOBS[*]} (repositories $BK/repos, records $BK/records)"
}

down() { :; }

status() {
  local rc=0 job
  command -v restic >/dev/null || { lab_log "restic is not installed"; return 1; }
  [[ -s "$PWFILE" ]] || { lab_log "backup not set up (no $PWFILE)"; return 1; }
  for job in "${JOBS[@]}"; do opens "$job" || { lab_log "repository $job does not open"; rc=1; }; done
  [[ $rc -eq 0 ]] && lab_log "backup repositories open (${JOBS[*]})"
  return "$rc"
}

run_job() {  # run_job run|fail JOB
  known_job "$2"
  [[ -s "$PWFILE" ]] || lab_die "backup not set up (76-backup.sh up)"
  "${PY[@]}" "$1" "$2" "$(repo "$2")" "$PWFILE" "$(record "$2")" "${HOST[$2]}" "${SOURCE[$2]}"
}

reset() {
  local job
  [[ $# -gt 0 ]] || lab_die "reset: name the job(s) (${JOBS[*]})"
  for job in "$@"; do known_job "$job"; done
  write_password
  seed
  for job in "$@"; do
    rm -rf "$(repo "$job")" "$(record "$job")" "$BK/flipped-$job.json"
    init_repo "$job"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  run|fail) run_job "$1" "${2:-}" ;;
  edit) known_job "${2:-}"; "${PY[@]}" edit "${SOURCE[$2]}" "${3:-5}" ;;
  make-stale) known_job "${2:-}"; "${PY[@]}" make-stale "$(record "$2")" "${3:-30}" ;;
  flip-pack) known_job "${2:-}"; "${PY[@]}" flip-pack "$(repo "$2")" "$BK/flipped-$2.json" ;;
  unflip) known_job "${2:-}"; "${PY[@]}" unflip "$BK/flipped-$2.json" ;;
  reset) shift; reset "$@" ;;
  repo) known_job "${2:-}"; repo "$2"; echo ;;
  password-file) echo "$PWFILE" ;;
  *) echo "usage: $0 up|down|status|run JOB|fail JOB|edit JOB [N]|make-stale JOB [HOURS]|flip-pack JOB|unflip JOB|reset JOB...|repo JOB|password-file" >&2; exit 2 ;;
esac
