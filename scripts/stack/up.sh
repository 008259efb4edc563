#!/usr/bin/env bash
# Starts the local tablelane stack without Docker (see scripts/stack/README.md):
#   Kafka 4.1 (KRaft) 127.0.0.1:9092, Apicurio Registry 127.0.0.1:8081,
#   S3Proxy 127.0.0.1:9000, PostgreSQL 127.0.0.1:5432 (reused/started via pg_ctlcluster),
#   the CDC source PostgreSQL 127.0.0.1:5433 (wal_level=logical, a cluster of its own in .stack/pg-cdc),
# then creates the topics and the bucket. It also fetches the Kafka Connect worker, Debezium's
# PostgreSQL connector and Apicurio's AvroConverter, which the tests start themselves (test/support/debezium-connect.ts). Idempotent: anything already answering on its
# port is reused (e.g. `docker compose up`), and nothing is started twice.
set -euo pipefail

# shellcheck source=scripts/stack/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

TOPIC_INGEST="${TABLELANE_TOPIC_INGEST:-tablelane.ingest}"
TOPIC_CHANGES="${TABLELANE_TOPIC_CHANGES:-tablelane.changes}"
TOPIC_DLQ="${TABLELANE_TOPIC_DLQ:-tablelane.dlq}"
CHANGES_PARTITIONS="${TABLELANE_CHANGES_PARTITIONS:-8}"
INGEST_PARTITIONS="${TABLELANE_INGEST_PARTITIONS:-8}"
DLQ_PARTITIONS="${TABLELANE_DLQ_PARTITIONS:-1}"
KAFKA_AUTO_CREATE="${TABLELANE_KAFKA_AUTO_CREATE_TOPICS:-true}"

KAFKA_HEAP="${TABLELANE_KAFKA_HEAP:--Xms256m -Xmx512m}"
REGISTRY_HEAP="${TABLELANE_REGISTRY_HEAP:--Xms128m -Xmx384m}"
S3_HEAP="${TABLELANE_S3_HEAP:--Xms64m -Xmx256m}"
# Short-lived CLI JVMs (storage format, topic command): start fast, little heap.
TOOL_JVM=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

T0=$SECONDS
mkdir -p "$LIB_DIR" "$LOG_DIR" "$RUN_DIR" "$CONF_DIR" "$STACK_DIR/kafka" "$STACK_DIR/s3"

# One up.sh at a time (parallel CI jobs / terminals would otherwise race to start things).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$RUN_DIR/up.lock"
  flock -w "$STACK_TIMEOUT" 9 || die "another scripts/stack/up.sh is still running ($RUN_DIR/up.lock)"
fi

# ---------------------------------------------------------------- prerequisites
command -v java >/dev/null 2>&1 || die "java (17+) is required: apt-get install -y openjdk-17-jre-headless"
JAVA_MAJOR="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
[[ "${JAVA_MAJOR:-0}" -ge 17 ]] || die "java 17+ is required (found ${JAVA_MAJOR:-unknown})"
command -v curl >/dev/null 2>&1 || die "curl is required"

# ---------------------------------------------------------------- fetch (cached)
# The pom's profiles are groups fetched one mvn run each (a dependency graph each), cached per
# group on the pom's hash: core (broker, tools, registry, S3), connect (the Kafka Connect
# worker's classpath), debezium (the PostgreSQL connector plugin) and apicurio-converter
# (Apicurio's AvroConverter, a second plugin on the same plugin path). A group whose processes
# run is kept as it is (its jars are in use), so a stack started before a pom change still
# gets the groups it lacks without a restart.
FETCH_GROUPS="core connect debezium apicurio-converter"

group_stamp() { if [[ "$1" == core ]]; then echo "$LIB_DIR/.stamp"; else echo "$LIB_DIR/.stamp-$1"; fi; }
group_dirs() {
  case "$1" in
    core) echo "$LIB_DIR/kafka $LIB_DIR/s3proxy $LIB_DIR/apicurio $LIB_DIR/.markers" ;;
    connect) echo "$LIB_DIR/connect" ;;
    # two plugins under one plugin path (lib/debezium): each group owns its own directory only
    debezium) echo "$LIB_DIR/debezium/debezium-connector-postgres" ;;
    apicurio-converter) echo "$LIB_DIR/debezium/apicurio-converter" ;;
  esac
}
group_complete() {
  case "$1" in
    core)
      compgen -G "$LIB_DIR/kafka/kafka_2.13-*.jar" >/dev/null \
        && [[ -f "$LIB_DIR/s3proxy/s3proxy.jar" ]] \
        && compgen -G "$LIB_DIR/apicurio/apicurio-registry-app-*-runner.jar" >/dev/null ;;
    connect) compgen -G "$LIB_DIR/connect/connect-runtime-*.jar" >/dev/null ;;
    debezium)
      compgen -G "$LIB_DIR/debezium/debezium-connector-postgres/debezium-connector-postgres-*.jar" >/dev/null ;;
    apicurio-converter)
      compgen -G "$LIB_DIR/debezium/apicurio-converter/apicurio-registry-utils-converter-*.jar" >/dev/null \
        && [[ -f "$LIB_DIR/debezium/apicurio-converter/tablelane-connect-manifest.jar" ]] ;;
  esac
}
# group_in_use GROUP -> prints what runs from the group's jars (fails when nothing does).
group_in_use() {
  local c f
  if [[ "$1" == core ]]; then
    for c in $JVM_COMPONENTS; do
      if managed_pid "$c" >/dev/null; then echo "$c"; return 0; fi
    done
    return 1
  fi
  # connect, debezium, apicurio-converter: the Connect workers of the tests
  # (test/support/debezium-connect.ts), whose command line names lib/connect (the plugin path is
  # in their worker.properties)
  for f in /proc/[0-9]*/cmdline; do
    if { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$LIB_DIR/connect/"; then
      echo "a Connect worker (pid $(basename "$(dirname "$f")"))"
      return 0
    fi
  done
  return 1
}
# group_absent GROUP -> none of the group's directories exists (a group added to the pom after
# the stack started): nothing can run from it, so it is fetched even while its users run.
group_absent() {
  local d
  for d in $(group_dirs "$1"); do
    [[ -e "$d" ]] && return 1
  done
  return 0
}

fetch_components() {
  local want g user stale=()
  want="$(sha256sum "$STACK_SCRIPTS/pom.xml" | cut -d' ' -f1)"
  for g in $FETCH_GROUPS; do
    if [[ -f "$(group_stamp "$g")" && "$(cat "$(group_stamp "$g")")" == "$want" ]] && group_complete "$g"; then
      continue
    fi
    if ! group_absent "$g" && user="$(group_in_use "$g")"; then
      if group_complete "$g"; then
        log "WARNING: scripts/stack/pom.xml changed but $user runs from $LIB_DIR ($g); keeping the"
        log "old $g components. Stop it (scripts/stack/down.sh) and run up.sh again to switch versions."
        continue
      fi
      die "$user is running but the $g components in $LIB_DIR are incomplete; stop it first (scripts/stack/down.sh)"
    fi
    stale+=("$g")
  done
  ((${#stale[@]} > 0)) || return 0
  command -v mvn >/dev/null 2>&1 || die "mvn is required for the first run (apt-get install -y maven)"
  log "fetching ${stale[*]} from Maven Central into $LIB_DIR (first run only) ..."
  local t=$SECONDS
  : >"$LOG_DIR/fetch.log"
  for g in "${stale[@]}"; do
    # shellcheck disable=SC2046
    rm -rf $(group_dirs "$g") "$(group_stamp "$g")"
    # shellcheck disable=SC2086
    if ! mvn -B -q -f "$STACK_SCRIPTS/pom.xml" ${TABLELANE_STACK_MVN_ARGS:-} -P "$g" \
          -Dstack.dir="$STACK_DIR" generate-resources >>"$LOG_DIR/fetch.log" 2>&1; then
      rm -rf "$STACK_SCRIPTS/target"
      tail -n 30 "$LOG_DIR/fetch.log" >&2 || true
      die "fetching the $g components failed; see $LOG_DIR/fetch.log"
    fi
    group_complete "$g" || die "fetching the $g components left $LIB_DIR incomplete; see $LOG_DIR/fetch.log"
    echo "$want" >"$(group_stamp "$g")"
  done
  rm -rf "$STACK_SCRIPTS/target"
  log "fetched in $((SECONDS - t))s"
}
fetch_components

# ---------------------------------------------------------------- TLS
# A CA and a broker certificate for 127.0.0.1 and localhost, made once and kept with the
# stack's data: clients trust ca.crt and verify the broker's name, as in production.
ensure_tls() {
  [[ -s "$TLS_DIR/ca.crt" && -s "$TLS_DIR/broker.pem" ]] && return 0
  command -v openssl >/dev/null 2>&1 || die "openssl is missing (apt-get install -y openssl)"
  mkdir -p "$TLS_DIR"
  log "tls: generating the stack CA and the broker certificate in $TLS_DIR"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tablelane stack CA" \
      -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$TLS_DIR/broker.key" -out "$TLS_DIR/broker.csr"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$TLS_DIR/broker.ext"
    openssl x509 -req -in "$TLS_DIR/broker.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
      -CAcreateserial -days 3650 -extfile "$TLS_DIR/broker.ext" -out "$TLS_DIR/broker.crt"
  } >>"$LOG_DIR/tls.log" 2>&1 || die "certificate generation failed; see $LOG_DIR/tls.log"
  # Kafka's PEM keystore: the PKCS#8 key, then the certificate chain.
  cat "$TLS_DIR/broker.key" "$TLS_DIR/broker.crt" >"$TLS_DIR/broker.pem"
  chmod 600 "$TLS_DIR"/*.key "$TLS_DIR/broker.pem"
}
ensure_tls

# ---------------------------------------------------------------- configs
write_configs() {
  cat >"$CONF_DIR/kafka-server.properties" <<EOF
# generated by scripts/stack/up.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$STACK_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$STACK_HOST:$KAFKA_PORT,CONTROLLER://$STACK_HOST:$KAFKA_CONTROLLER_PORT,SECURE://$STACK_HOST:$KAFKA_SECURE_PORT
advertised.listeners=PLAINTEXT://$STACK_HOST:$KAFKA_PORT,SECURE://$STACK_HOST:$KAFKA_SECURE_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN
listener.name.secure.ssl.keystore.type=PEM
listener.name.secure.ssl.keystore.location=$TLS_DIR/broker.pem
listener.name.secure.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.secure.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.secure.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
log.dirs=$STACK_DIR/kafka/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=$KAFKA_AUTO_CREATE
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$CONF_DIR/kafka-log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
EOF
  cat >"$CONF_DIR/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
EOF
  cat >"$CONF_DIR/s3proxy.properties" <<EOF
# generated by scripts/stack/up.sh
s3proxy.endpoint=http://$STACK_HOST:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
s3proxy.cors-allow-all=true
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=$STACK_DIR/s3
jclouds.region=$S3_REGION
EOF
}
write_configs

# ---------------------------------------------------------------- start helpers
# status per component: "external" | "managed" | "started"
declare -A STATE=()

# launch NAME HEAP... -- ARGS...: starts a JVM detached (own session), logs to
# .stack/logs/NAME.log, pid to .stack/run/NAME.pid.
launch() {
  local name="$1"; shift
  local logf; logf="$(component_log "$name")"
  {
    echo "==== $(date -u +%FT%TZ) starting $name: java $*"
  } >>"$logf"
  # 9>&-: the JVM must not inherit the up.lock descriptor (it would hold the lock)
  setsid nohup java "-Dtablelane.stack=$name" "$@" >>"$logf" 2>&1 </dev/null 9>&- &
  echo $! >"$(pid_file "$name")"
  STATE[$name]=started
}

start_kafka() {
  local meta="$STACK_DIR/kafka/data/meta.properties" cid_file="$STACK_DIR/kafka/cluster.id" cid
  if [[ ! -f "$meta" ]]; then
    if [[ ! -s "$cid_file" ]]; then
      head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$cid_file"
    fi
    cid="$(cat "$cid_file")"
    log "kafka: formatting KRaft storage (cluster id $cid)"
    if ! java "${TOOL_JVM[@]}" -cp "$LIB_DIR/kafka/*" \
          -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
          kafka.tools.StorageTool format --ignore-formatted -t "$cid" \
          -c "$CONF_DIR/kafka-server.properties" >>"$(component_log kafka)" 2>&1; then
      die "kafka storage format failed; see $(component_log kafka)"
    fi
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_CONTROLLER_PORT (Kafka controller) is taken by another process; set TABLELANE_KAFKA_CONTROLLER_PORT"
  fi
  # shellcheck disable=SC2086
  launch kafka $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOG_DIR" \
    -Dlog4j2.configurationFile="$CONF_DIR/kafka-log4j2.properties" \
    -cp "$LIB_DIR/kafka/*" kafka.Kafka "$CONF_DIR/kafka-server.properties"
}

start_registry() {
  local jar
  jar="$(compgen -G "$LIB_DIR/apicurio/apicurio-registry-app-*-runner.jar" | head -n1)"
  # In-memory storage (H2 in-memory is Apicurio 3's default). Deletes are enabled so
  # tests can clean up subjects (Apicurio 3 disables them by default).
  # shellcheck disable=SC2086
  launch registry $REGISTRY_HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host="$STACK_HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.rest.deletion.artifact.enabled=true \
    -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -Dapicurio.rest.deletion.group.enabled=true \
    -Dapicurio.ccompat.use-canonical-hash=true \
    -jar "$jar"
}

start_s3() {
  # shellcheck disable=SC2086
  launch s3 $S3_HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -jar "$LIB_DIR/s3proxy/s3proxy.jar" --properties "$CONF_DIR/s3proxy.properties"
}

ensure_component() {
  local name="$1" port
  port="$(component_port "$name")"
  if managed_pid "$name" >/dev/null; then
    STATE[$name]=managed            # ours, already running (maybe still starting)
    return 0
  fi
  rm -f "$(pid_file "$name")"
  if port_open "$port"; then
    STATE[$name]=external
    log "$name: something already answers on $STACK_HOST:$port, reusing it"
    return 0
  fi
  log "$name: starting on $STACK_HOST:$port (log: $(component_log "$name"))"
  "start_$name"
}

# ---------------------------------------------------------------- readiness
kafka_ready() { port_open "$KAFKA_PORT"; }
registry_ready() {
  curl -fs -o /dev/null --max-time 3 "http://$STACK_HOST:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH/subjects" 2>/dev/null
}
s3_ready() {
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 3 "http://$STACK_HOST:$S3_PORT/" 2>/dev/null || true)"
  [[ "$code" =~ ^[1-5][0-9][0-9]$ ]]
}

wait_ready() {
  local name="$1" deadline=$((SECONDS + STACK_TIMEOUT)) logf
  logf="$(component_log "$name")"
  until "${name}_ready"; do
    if [[ "${STATE[$name]}" != external ]] && ! managed_pid "$name" >/dev/null; then
      tail -n 25 "$logf" >&2 2>/dev/null || true
      die "$name exited during startup; see $logf"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 25 "$logf" >&2 2>/dev/null || true
      die "$name not ready on $STACK_HOST:$(component_port "$name") after ${STACK_TIMEOUT}s; see $logf"
    fi
    sleep 0.5
  done
  log "$name: ready on $STACK_HOST:$(component_port "$name") (${STATE[$name]}, t=$((SECONDS - T0))s)"
}

# ---------------------------------------------------------------- postgres
ensure_postgres() {
  if pg_up; then
    STATE[postgres]=external
    [[ -f "$RUN_DIR/postgres.cluster" ]] && STATE[postgres]=managed
  else
    rm -f "$RUN_DIR/postgres.cluster"
    command -v pg_ctlcluster >/dev/null 2>&1 \
      || die "PostgreSQL is not answering on $STACK_HOST:$PG_PORT and pg_ctlcluster is missing (apt-get install -y postgresql)"
    local ver
    # shellcheck disable=SC2012
    ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
    [[ -n "$ver" ]] || die "PostgreSQL is not answering on $STACK_HOST:$PG_PORT and no cluster exists under /etc/postgresql"
    log "postgres: starting cluster $ver/main"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >>"$LOG_DIR/postgres.log" 2>&1 \
      || die "could not start PostgreSQL $ver/main; see $LOG_DIR/postgres.log and /var/log/postgresql/"
    echo "$ver main" >"$RUN_DIR/postgres.cluster"
    STATE[postgres]=started
    local deadline=$((SECONDS + STACK_TIMEOUT))
    until pg_up; do
      ((SECONDS < deadline)) || die "PostgreSQL not ready after ${STACK_TIMEOUT}s; see /var/log/postgresql/"
      sleep 0.5
    done
  fi
  if command -v psql >/dev/null 2>&1; then
    local exists
    exists="$(psql -h "$STACK_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" 2>>"$LOG_DIR/postgres.log")" \
      || die "cannot connect to PostgreSQL as $PG_USER; see $LOG_DIR/postgres.log"
    if [[ "$exists" != 1 ]]; then
      psql -h "$STACK_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "CREATE DATABASE \"$PG_DATABASE\"" \
        >>"$LOG_DIR/postgres.log" 2>&1 || die "cannot create database $PG_DATABASE; see $LOG_DIR/postgres.log"
      log "postgres: created database $PG_DATABASE"
    fi
  else
    log "postgres: psql not found, not checking that database $PG_DATABASE exists"
  fi
  log "postgres: ready on $STACK_HOST:$PG_PORT (${STATE[postgres]})"
}

# ---------------------------------------------------------------- CDC source
# A PostgreSQL cluster of the stack's own on 127.0.0.1:$CDC_SOURCE_PORT with wal_level=logical,
# database $CDC_SOURCE_DATABASE, trust auth on loopback (replication too): the source database
# of Debezium's connector (test/support/debezium-connect.ts). Made with the machine's initdb on
# first start; its config and pg_hba.conf are rewritten on every start.
write_cdc_source_config() {
  local dir="$1"
  cat >"$dir/tablelane.conf" <<EOF
# generated by scripts/stack/up.sh on every start
port = $CDC_SOURCE_PORT
listen_addresses = '$STACK_HOST'
unix_socket_directories = ''
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
# a slot a test leaked keeps at most this much WAL, then it is invalidated
max_slot_wal_keep_size = 1GB
shared_buffers = 64MB
max_connections = 100
EOF
  grep -q "^include_if_exists = 'tablelane.conf'" "$dir/postgresql.conf" \
    || echo "include_if_exists = 'tablelane.conf'" >>"$dir/postgresql.conf"
  cat >"$dir/pg_hba.conf" <<EOF
# generated by scripts/stack/up.sh on every start: trust on loopback, replication included
host all all $STACK_HOST/32 trust
host replication all $STACK_HOST/32 trust
EOF
}

start_cdc_source() {
  local bin dir logf
  bin="$(pg_bindir)" || die "cdc-source: PostgreSQL's initdb and pg_ctl not found (apt-get install -y postgresql, or set TABLELANE_PG_BIN)"
  dir="$(cdc_source_data_dir)"
  logf="$(component_log cdc-source)"
  if [[ "$(id -u)" == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "cdc-source: as root this needs the postgres OS user (PostgreSQL refuses to run as root)"
    touch "$logf" && chown postgres: "$logf"
  fi
  if [[ ! -s "$dir/PG_VERSION" ]]; then
    log "cdc-source: initdb $dir ($bin)"
    mkdir -p "$dir"
    if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir" -U "$CDC_SOURCE_USER" -A trust -E UTF8 --locale=C --no-instructions \
      >>"$logf" 2>&1 || die "cdc-source: initdb failed; see $logf"
  fi
  write_cdc_source_config "$dir"
  echo "$dir" >"$CDC_SOURCE_RECORD"
  log "cdc-source: starting on $STACK_HOST:$CDC_SOURCE_PORT (data $dir, log $logf)"
  # -w: returns once the server accepts connections, or has failed. pg_ctl and the server both
  # append to the log.
  # shellcheck disable=SC2094
  if ! as_pg "$bin/pg_ctl" -D "$dir" -l "$logf" -w -t "$STACK_TIMEOUT" start >>"$logf" 2>&1 </dev/null 9>&-; then
    tail -n 25 "$logf" >&2 || true
    rm -f "$CDC_SOURCE_RECORD"
    die "cdc-source: PostgreSQL did not start; see $logf"
  fi
  STATE[cdc-source]=started
}

ensure_cdc_source() {
  local logf
  logf="$(component_log cdc-source)"
  if cdc_source_pid >/dev/null; then
    STATE[cdc-source]=managed
  elif port_open "$CDC_SOURCE_PORT"; then
    rm -f "$CDC_SOURCE_RECORD"
    STATE[cdc-source]=external
    log "cdc-source: something already answers on $STACK_HOST:$CDC_SOURCE_PORT, reusing it"
  else
    start_cdc_source
  fi
  local deadline=$((SECONDS + STACK_TIMEOUT))
  until cdc_source_up; do
    ((SECONDS < deadline)) || die "cdc-source: not ready on $STACK_HOST:$CDC_SOURCE_PORT after ${STACK_TIMEOUT}s; see $logf"
    sleep 0.5
  done
  if command -v psql >/dev/null 2>&1; then
    local q=(psql -h "$STACK_HOST" -p "$CDC_SOURCE_PORT" -U "$CDC_SOURCE_USER" -d postgres -tAc) info
    info="$("${q[@]}" "SELECT current_setting('wal_level') || ' ' || count(*) FROM pg_database WHERE datname = '$CDC_SOURCE_DATABASE'" \
      2>>"$logf")" || die "cdc-source: cannot connect as $CDC_SOURCE_USER; see $logf"
    [[ "${info% *}" == logical ]] \
      || log "WARNING: cdc-source on $STACK_HOST:$CDC_SOURCE_PORT has wal_level=${info% *}; Debezium needs logical"
    if [[ "${info#* }" == 0 ]]; then
      "${q[@]}" "CREATE DATABASE \"$CDC_SOURCE_DATABASE\"" >>"$logf" 2>&1 \
        || die "cdc-source: cannot create database $CDC_SOURCE_DATABASE; see $logf"
      log "cdc-source: created database $CDC_SOURCE_DATABASE"
    fi
  else
    log "cdc-source: psql not found, not checking that database $CDC_SOURCE_DATABASE exists"
  fi
  log "cdc-source: ready on $STACK_HOST:$CDC_SOURCE_PORT (${STATE[cdc-source]}, t=$((SECONDS - T0))s)"
}

# ---------------------------------------------------------------- topics / bucket
kafka_tool() {
  java "${TOOL_JVM[@]}" -cp "$LIB_DIR/kafka/*" \
    -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" "$@"
}

create_topics() {
  local rc=0 pids=() spec name parts
  local bs="$STACK_HOST:$KAFKA_PORT"
  for spec in "$TOPIC_INGEST:$INGEST_PARTITIONS" "$TOPIC_CHANGES:$CHANGES_PARTITIONS" "$TOPIC_DLQ:$DLQ_PARTITIONS"; do
    name="${spec%:*}"; parts="${spec##*:}"
    # Our own broker: its log dirs show which topics exist (a deleted topic's dir is
    # renamed to *-delete at once); skipping the CLI JVM saves ~2s on warm starts.
    if [[ "${STATE[kafka]}" != external && -d "$STACK_DIR/kafka/data/$name-0" ]]; then
      continue
    fi
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" --create --if-not-exists \
      --topic "$name" --partitions "$parts" --replication-factor 1 >>"$LOG_DIR/topics.log" 2>&1 &
    pids+=("$!")
    log "kafka: ensuring topic $name ($parts partitions)"
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "topic creation failed on $bs; see $LOG_DIR/topics.log and $(component_log kafka)"
  log "kafka: topics present: $TOPIC_INGEST $TOPIC_CHANGES $TOPIC_DLQ"
}

# SCRAM credentials live in the cluster's metadata: (re)set them on every start, so the
# secure listener accepts $KAFKA_SASL_USER whatever the storage's history.
create_scram_user() {
  [[ "${STATE[kafka]}" == external ]] && return 0
  local rc=0 pids=() mechanism
  # One mechanism per request: the broker refuses two changes of one user's credentials at once.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    kafka_tool kafka.admin.ConfigCommand --bootstrap-server "$STACK_HOST:$KAFKA_PORT" --alter \
      --entity-type users --entity-name "$KAFKA_SASL_USER" \
      --add-config "$mechanism=[password=$KAFKA_SASL_PASSWORD]" >>"$LOG_DIR/scram.log" 2>&1 &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  ((rc == 0)) || die "creating the SCRAM user failed; see $LOG_DIR/scram.log"
  log "kafka: SASL_SSL on $STACK_HOST:$KAFKA_SECURE_PORT (user $KAFKA_SASL_USER, CA $TLS_DIR/ca.crt)"
}

s3_curl() {
  curl -sS --max-time 10 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"
}

create_bucket() {
  local url="http://$STACK_HOST:$S3_PORT/$S3_BUCKET" code
  code="$(s3_curl -o /dev/null -w '%{http_code}' -I "$url" 2>>"$LOG_DIR/s3-bucket.log" || true)"
  if [[ "$code" == 200 ]]; then
    log "s3: bucket $S3_BUCKET present"
    return 0
  fi
  code="$(s3_curl -o "$LOG_DIR/s3-bucket.log" -w '%{http_code}' -X PUT "$url" || true)"
  case "$code" in
    200) log "s3: created bucket $S3_BUCKET" ;;
    409) log "s3: bucket $S3_BUCKET present" ;;
    *) die "creating bucket $S3_BUCKET failed (HTTP $code); see $LOG_DIR/s3-bucket.log and $(component_log s3)" ;;
  esac
}

write_env() {
  cat >"$STACK_DIR/env" <<EOF
# generated by scripts/stack/up.sh; usage: set -a; . .stack/env; set +a
KAFKA_BROKERS=$STACK_HOST:$KAFKA_PORT
# The SASL_SSL listener, for trying production-style connectivity (docs/deploy.md, "Local stack"):
#   KAFKA_BROKERS=$STACK_HOST:$KAFKA_SECURE_PORT KAFKA_SSL=true KAFKA_SSL_CA_LOCATION=$TLS_DIR/ca.crt
#   KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=$KAFKA_SASL_USER KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD
#   (scram-sha-256 and plain work too; the password may come from a file: KAFKA_SASL_PASSWORD_FILE)
SCHEMA_REGISTRY_URL=http://$STACK_HOST:$REGISTRY_PORT$REGISTRY_CCOMPAT_PATH
S3_ENDPOINT=http://$STACK_HOST:$S3_PORT
S3_REGION=$S3_REGION
S3_FORCE_PATH_STYLE=true
S3_ACCESS_KEY_ID=$S3_ACCESS_KEY
S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY
S3_BUCKET=$S3_BUCKET
PGHOST=$STACK_HOST
PGPORT=$PG_PORT
PGUSER=$PG_USER
PGDATABASE=$PG_DATABASE
# The CDC source (wal_level=logical) of Debezium's PostgreSQL connector, test/support/debezium-connect.ts
CDC_SOURCE_HOST=$STACK_HOST
CDC_SOURCE_PORT=$CDC_SOURCE_PORT
CDC_SOURCE_USER=$CDC_SOURCE_USER
CDC_SOURCE_DATABASE=$CDC_SOURCE_DATABASE
CDC_SOURCE_URL=postgres://$CDC_SOURCE_USER@$STACK_HOST:$CDC_SOURCE_PORT/$CDC_SOURCE_DATABASE
TABLELANE_TOPIC_INGEST=$TOPIC_INGEST
TABLELANE_TOPIC_CHANGES=$TOPIC_CHANGES
TABLELANE_TOPIC_DLQ=$TOPIC_DLQ
EOF
}

# ---------------------------------------------------------------- main
# registry and s3 first: their JVMs boot while the Kafka storage is formatted
for c in registry s3 kafka; do ensure_component "$c"; done
ensure_postgres
ensure_cdc_source
for c in $JVM_COMPONENTS; do wait_ready "$c"; done
create_topics
create_scram_user
create_bucket
write_env

log "stack up in $((SECONDS - T0))s; client settings in $STACK_DIR/env"
