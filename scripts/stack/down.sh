#!/usr/bin/env bash
# Stops what scripts/stack/up.sh started (by the pid files in .stack/run/), waits for
# the processes to exit, and keeps the data (Kafka log dirs, S3 files).
#   --clean   also wipe the data dirs (.stack/kafka, .stack/s3); downloads stay cached.
# Components that were already running when up.sh ran (external) are left alone.
set -euo pipefail

# shellcheck source=scripts/stack/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

CLEAN=0
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (use --clean)" ;;
  esac
done

STOP_TIMEOUT="${TABLELANE_STACK_STOP_TIMEOUT:-60}"

stop_component() {
  local name="$1" pid deadline
  if ! pid="$(managed_pid "$name")"; then
    if [[ -f "$(pid_file "$name")" ]]; then
      log "$name: not running (stale pid file removed)"
      rm -f "$(pid_file "$name")"
    fi
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  echo "$pid"
}

wait_exit() {
  local name="$1" pid="$2" deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$(pid_file "$name")"
  log "$name: stopped"
}

# Stop the JVMs in parallel (SIGTERM to all, then wait for each).
declare -A PIDS=()
for c in $JVM_COMPONENTS; do
  pid="$(stop_component "$c")"
  [[ -n "$pid" ]] && PIDS[$c]="$pid"
done
for c in "${!PIDS[@]}"; do wait_exit "$c" "${PIDS[$c]}"; done

# PostgreSQL: only if up.sh had to start the cluster itself.
if [[ -f "$RUN_DIR/postgres.cluster" ]]; then
  read -r ver cluster <"$RUN_DIR/postgres.cluster"
  log "postgres: stopping cluster $ver/$cluster (started by up.sh)"
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" stop >>"$LOG_DIR/postgres.log" 2>&1 \
    || log "postgres: pg_ctlcluster stop failed; see $LOG_DIR/postgres.log"
  rm -f "$RUN_DIR/postgres.cluster"
fi

if ((CLEAN)); then
  for c in $JVM_COMPONENTS; do
    if managed_pid "$c" >/dev/null; then die "$c is still running; not wiping data"; fi
  done
  log "wiping $STACK_DIR/kafka and $STACK_DIR/s3"
  rm -rf "$STACK_DIR/kafka" "$STACK_DIR/s3"
fi
log "down"
