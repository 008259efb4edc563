#!/usr/bin/env bash
# One line per component: up/down, address, and who runs it
# (stack = started by scripts/stack/up.sh, external = something else, e.g. docker compose).
# Exit code 0 when every component is up, 1 otherwise.
set -euo pipefail

# shellcheck source=scripts/stack/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

all_up=0
line() { printf '%-10s %-8s %-16s %s\n' "$@"; }

line COMPONENT STATE ADDRESS OWNER
for c in $JVM_COMPONENTS postgres cdc-source; do
  port="$(component_port "$c")"
  if [[ "$c" == cdc-source ]]; then
    if cdc_source_up; then state=up; else state=down; fi
    if pid="$(cdc_source_pid)"; then
      owner="stack (pid $pid, data $(cat "$CDC_SOURCE_RECORD"))"
    else
      owner=external
    fi
  elif [[ "$c" == postgres ]]; then
    if pg_up; then state=up; else state=down; fi
    if [[ -f "$RUN_DIR/postgres.cluster" ]]; then
      owner="stack (cluster $(cat "$RUN_DIR/postgres.cluster"))"
    else
      owner=external
    fi
  else
    if port_open "$port"; then state=up; else state=down; fi
    if pid="$(managed_pid "$c")"; then
      owner="stack (pid $pid)"
      [[ "$state" == down ]] && state=starting
    else
      owner=external
    fi
  fi
  [[ "$state" == down && "$owner" == external ]] && owner=-
  [[ "$state" == up ]] || all_up=1
  line "$c" "$state" "$STACK_HOST:$port" "$owner"
done
exit "$all_up"
