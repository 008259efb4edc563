#!/usr/bin/env bash
# Stops what scripts/stack/up.sh started (by the pid files in .stack/run/), waits for
# the processes to exit, and keeps the data (Kafka log dirs, S3 files, the CDC source's cluster).
#   down.sh [--clean] [COMPONENT...]   COMPONENT: kafka registry s3 postgres cdc-source (default: all)
#   --clean   also wipe the stopped components' data (.stack/kafka, .stack/s3, the CDC source's
#             data dir); downloads stay cached.
# Components that were already running when up.sh ran (external) are left alone. up.sh starts
# again whatever is down, so `down.sh cdc-source && up.sh` restarts that one component.
set -euo pipefail

# shellcheck source=scripts/stack/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

ALL_COMPONENTS="$JVM_COMPONENTS postgres cdc-source"
CLEAN=0
SELECTED=()
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) die "unknown option: $arg (use --clean)" ;;
    *)
      [[ " $ALL_COMPONENTS " == *" $arg "* ]] || die "unknown component: $arg (one of: $ALL_COMPONENTS)"
      SELECTED+=("$arg") ;;
  esac
done
((${#SELECTED[@]} > 0)) || read -r -a SELECTED <<<"$ALL_COMPONENTS"
selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

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
  selected "$c" || continue
  pid="$(stop_component "$c")"
  [[ -n "$pid" ]] && PIDS[$c]="$pid"
done

# The CDC source: only the cluster up.sh started (fast shutdown: open sessions are ended).
CDC_DATA_DIR=""
if selected cdc-source && [[ -f "$CDC_SOURCE_RECORD" ]]; then
  CDC_DATA_DIR="$(cat "$CDC_SOURCE_RECORD")"
  if cdc_source_pid >/dev/null; then
    log "cdc-source: stopping the cluster in $CDC_DATA_DIR"
    if bin="$(pg_bindir)" && as_pg "$bin/pg_ctl" -D "$CDC_DATA_DIR" -m fast -w -t "$STOP_TIMEOUT" stop \
         >>"$(component_log cdc-source)" 2>&1; then
      log "cdc-source: stopped"
    else
      log "cdc-source: pg_ctl stop failed; see $(component_log cdc-source)"
    fi
  fi
  cdc_source_pid >/dev/null || rm -f "$CDC_SOURCE_RECORD"
fi

for c in "${!PIDS[@]}"; do wait_exit "$c" "${PIDS[$c]}"; done

# PostgreSQL: only if up.sh had to start the cluster itself.
if selected postgres && [[ -f "$RUN_DIR/postgres.cluster" ]]; then
  read -r ver cluster <"$RUN_DIR/postgres.cluster"
  log "postgres: stopping cluster $ver/$cluster (started by up.sh)"
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" stop >>"$LOG_DIR/postgres.log" 2>&1 \
    || log "postgres: pg_ctlcluster stop failed; see $LOG_DIR/postgres.log"
  rm -f "$RUN_DIR/postgres.cluster"
fi

if ((CLEAN)); then
  for c in $JVM_COMPONENTS; do
    if selected "$c" && managed_pid "$c" >/dev/null; then die "$c is still running; not wiping data"; fi
  done
  if selected cdc-source && cdc_source_pid >/dev/null; then die "cdc-source is still running; not wiping data"; fi
  wipe=()
  selected kafka && wipe+=("$STACK_DIR/kafka")
  selected s3 && wipe+=("$STACK_DIR/s3")
  if selected cdc-source; then
    # the one up.sh last used, else where it would put it
    wipe+=("${CDC_DATA_DIR:-$(cdc_source_data_dir)}")
  fi
  if ((${#wipe[@]} > 0)); then
    log "wiping ${wipe[*]}"
    rm -rf "${wipe[@]}"
  fi
fi
log "down"
