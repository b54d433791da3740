# shellcheck shell=bash
# Shared helpers for the lab component scripts (lab/components/*.sh).
# Every process a component starts is recorded in $LAB_RUN/pids/<name>.pid and stopped by that id.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LAB_DIR/.." && pwd)"
LAB_RUN="${LAB_RUN:-$LAB_DIR/run}"
mkdir -p "$LAB_RUN/pids" "$LAB_RUN/log"

lab_log() { printf '[lab %s] %s\n' "${LAB_COMPONENT:-lab}" "$*" >&2; }
lab_die() { lab_log "ERROR: $*"; exit 1; }

# lab_pidfile NAME -> path of the pid record
lab_pidfile() { printf '%s/pids/%s.pid' "$LAB_RUN" "$1"; }

# lab_alive PID -> 0 when the process exists and is not a zombie (init here reaps orphans late)
lab_alive() { local s; s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; s="${s##*) }"; [[ "${s%% *}" != Z ]]; }

# lab_running NAME -> 0 when the recorded process is alive
lab_running() {
  local f pid
  f="$(lab_pidfile "$1")"
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  lab_alive "$pid"
}

# lab_record NAME PID
lab_record() { printf '%s\n' "$2" >"$(lab_pidfile "$1")"; }

# lab_start NAME CMD... : start CMD in the background (own session), log to $LAB_RUN/log/NAME.log
lab_start() {
  local name="$1"; shift
  if lab_running "$name"; then lab_log "$name already running (pid $(cat "$(lab_pidfile "$name")"))"; return 0; fi
  setsid "$@" >>"$LAB_RUN/log/$name.log" 2>&1 </dev/null &
  lab_record "$name" "$!"
  lab_log "$name started (pid $!)"
}

# lab_stop NAME : TERM the recorded process and its process group, KILL after 10 s
lab_stop() {
  local name="$1" f pid i
  f="$(lab_pidfile "$name")"
  [[ -s "$f" ]] || return 0
  pid="$(cat "$f")"
  if lab_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do lab_alive "$pid" || break; sleep 0.1; done
    if lab_alive "$pid"; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    lab_log "$name stopped (pid $pid)"
  fi
  rm -f "$f"
}

# lab_forget NAME : wait up to 10 s for the recorded process to end by itself (it was told to stop by
# other means), then drop its record; lab_stop TERMs and KILLs what is still alive
lab_forget() {
  local f pid i
  f="$(lab_pidfile "$1")"
  [[ -s "$f" ]] || return 0
  pid="$(cat "$f")"
  for i in $(seq 1 100); do lab_alive "$pid" || break; sleep 0.1; done
  if lab_alive "$pid"; then lab_stop "$1"; else rm -f "$f"; fi
}

# lab_wait_tcp HOST PORT [TIMEOUT_S] : wait until a TCP port accepts connections
lab_wait_tcp() {
  local host="$1" port="$2" timeout="${3:-30}" i
  for i in $(seq 1 $((timeout * 10))); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  lab_die "$host:$port did not open within ${timeout}s"
}

# lab_serialise "$0" "$@" : run a component's changes one at a time (lab/up.sh, lab/down.sh and tests may
# call it concurrently); status needs no lock. flock -o: the servers it starts do not inherit the lock.
lab_serialise() {
  local script="$1"; shift
  [[ "${1:-}" == status || -n "${__LAB_LOCKED:-}" ]] && return 0
  __LAB_LOCKED=1 exec flock -o "$LAB_RUN/pids/.$(basename "$script" .sh).lock" bash "$script" "$@"
}

lab_require_root() { [[ "$(id -u)" -eq 0 ]] || lab_die "the lab needs root (network namespaces, ports < 1024)"; }
