# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Shared settings and helpers for scripts/stack/{up,down,status}.sh. Sourced, not run.

STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_SCRIPTS/../.." && pwd)"
STACK_DIR="${TABLELANE_STACK_DIR:-$REPO_ROOT/.stack}"
LIB_DIR="$STACK_DIR/lib"
LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
CONF_DIR="$STACK_DIR/conf"

STACK_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT="${TABLELANE_KAFKA_CONTROLLER_PORT:-9093}"
# A second listener as managed clusters (MSK, Confluent Cloud, Strimzi) offer it: SASL over TLS
# with SCRAM or PLAIN, a certificate signed by the stack's own CA (.stack/tls/ca.crt).
KAFKA_SECURE_PORT="${TABLELANE_KAFKA_SECURE_PORT:-9094}"
KAFKA_SASL_USER=tablelane
KAFKA_SASL_PASSWORD=tablelane-sasl-secret
TLS_DIR="$STACK_DIR/tls"
REGISTRY_PORT=8081
S3_PORT=9000
PG_PORT=5432

S3_ACCESS_KEY=tablelane
S3_SECRET_KEY=tablelane-secret
S3_REGION=us-east-1
S3_BUCKET="${TABLELANE_S3_BUCKET:-tablelane}"
PG_DATABASE="test"
PG_USER=postgres

# The CDC source: a PostgreSQL cluster of the stack's own with wal_level=logical, for the
# Debezium connector of test/cdc (the one on 5432 is the warehouse and is not reconfigured).
CDC_SOURCE_PORT="${TABLELANE_CDC_SOURCE_PORT:-5433}"
CDC_SOURCE_DATABASE=source
CDC_SOURCE_USER=postgres
# The data dir of the cluster up.sh started (written by up.sh, read by down.sh and status.sh).
CDC_SOURCE_RECORD="$RUN_DIR/cdc-source.datadir"

# Apicurio 3.x serves the Confluent Schema Registry API (v7) under this path.
REGISTRY_CCOMPAT_PATH=/apis/ccompat/v7

# Seconds to wait for each component to become ready.
STACK_TIMEOUT="${TABLELANE_STACK_TIMEOUT:-180}"

# name:port of the JVM components we may start ourselves.
JVM_COMPONENTS="kafka registry s3"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/$STACK_HOST/$1") 2>/dev/null
}

component_port() {
  case "$1" in
    kafka) echo "$KAFKA_PORT" ;;
    registry) echo "$REGISTRY_PORT" ;;
    s3) echo "$S3_PORT" ;;
    postgres) echo "$PG_PORT" ;;
    cdc-source) echo "$CDC_SOURCE_PORT" ;;
    *) return 1 ;;
  esac
}

component_log() { echo "$LOG_DIR/$1.log"; }
pid_file() { echo "$RUN_DIR/$1.pid"; }

# managed_pid NAME -> prints the pid recorded for NAME when that process is still
# alive and is a java process we started (guards against pid reuse); else fails.
managed_pid() {
  local f pid
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # the command line carries -Dtablelane.stack=NAME (see up.sh)
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-Dtablelane.stack=$1 " || return 1
  echo "$pid"
}

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$STACK_HOST" -p "$PG_PORT" >/dev/null 2>&1
  else
    port_open "$PG_PORT"
  fi
}

# ---------------------------------------------------------------- CDC source (PostgreSQL)
# pg_bindir -> the directory of the installed PostgreSQL server's initdb and pg_ctl
# (TABLELANE_PG_BIN, else pg_config --bindir, else the newest /usr/lib/postgresql/*/bin).
pg_bindir() {
  local dir
  for dir in "${TABLELANE_PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" \
             $(compgen -G '/usr/lib/postgresql/*/bin' | sort -V -r); do
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}

# as_pg CMD... -> runs CMD as the postgres OS user when we are root (initdb and the server
# refuse to run as root), else as ourselves.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# cdc_source_data_dir -> where the CDC source keeps its data: TABLELANE_CDC_SOURCE_DATA_DIR, else
# .stack/pg-cdc; as root, when the postgres user cannot reach into .stack (a repository under
# a private home), /var/lib/postgresql/tablelane-cdc-<hash of the stack dir> instead.
cdc_source_data_dir() {
  if [[ -n "${TABLELANE_CDC_SOURCE_DATA_DIR:-}" ]]; then
    echo "$TABLELANE_CDC_SOURCE_DATA_DIR"
  elif [[ "$(id -u)" != 0 ]] || runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
    echo "$STACK_DIR/pg-cdc"
  else
    echo "/var/lib/postgresql/tablelane-cdc-$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)"
  fi
}

# cdc_source_pid -> the postmaster pid of the CDC source cluster up.sh started, while it runs.
cdc_source_pid() {
  local dir pid
  [[ -f "$CDC_SOURCE_RECORD" ]] || return 1
  dir="$(cat "$CDC_SOURCE_RECORD")"
  pid="$(head -n1 "$dir/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-D $dir" || return 1
  echo "$pid"
}

cdc_source_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$STACK_HOST" -p "$CDC_SOURCE_PORT" -U "$CDC_SOURCE_USER" -d postgres >/dev/null 2>&1
  else
    port_open "$CDC_SOURCE_PORT"
  fi
}
