#!/usr/bin/env bash
# Single-node Apache Kafka 4.x (KRaft, combined broker+controller) on loopback,
# run from Maven Central jars. For tests and CI. See README.md next to this file.
#
# Usage: kafka-local.sh start|stop|status|logs [-f]|run-class CLASS [ARGS...]|topics [ARGS...]
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)

KAFKA_LOCAL_HOME=${KAFKA_LOCAL_HOME:-${HOME:-/tmp}/.cache/postident-kafka}
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HOST=127.0.0.1
KAFKA_LIB_DIR=${KAFKA_LIB_DIR:-$KAFKA_LOCAL_HOME/lib}
KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$KAFKA_LOCAL_HOME/data-$KAFKA_PORT}
KAFKA_PID_FILE=${KAFKA_PID_FILE:-$KAFKA_LOCAL_HOME/kafka-$KAFKA_PORT.pid}
KAFKA_LOG_FILE=${KAFKA_LOG_FILE:-$KAFKA_LOCAL_HOME/kafka-$KAFKA_PORT.log}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:-}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
# Extra lines appended to the generated server.properties (newline-separated).
KAFKA_SERVER_PROPS=${KAFKA_SERVER_PROPS:-}
KEEP_DATA=${KEEP_DATA:-0}
# Empty: the version pinned in pom.xml. Otherwise passed as -Dkafka.version.
KAFKA_VERSION=${KAFKA_VERSION:-}
MVN=${MVN:-mvn}
if [[ -n ${JAVA_HOME:-} && -x ${JAVA_HOME}/bin/java ]]; then
	JAVA=${JAVA:-$JAVA_HOME/bin/java}
else
	JAVA=${JAVA:-java}
fi

BROKERS="$KAFKA_HOST:$KAFKA_PORT"
POM="$SCRIPT_DIR/pom.xml"
LOG4J_CONF="$SCRIPT_DIR/log4j2.properties"
PROPS_TEMPLATE="$SCRIPT_DIR/server.properties"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	cat >&2 <<EOF
usage: $(basename -- "$0") COMMAND

  start                 resolve jars (cached), format a fresh data dir, start the
                        broker in the background, wait until it answers;
                        prints KAFKA_BROKERS=$BROKERS
  stop                  SIGTERM (SIGKILL after ${KAFKA_STOP_TIMEOUT}s), then remove the data dir
                        (kept with KEEP_DATA=1)
  status                exit 0 and print KAFKA_BROKERS=... if running, else exit 1
  logs [-f]             print (or follow) the broker log
  topics ARGS...        org.apache.kafka.tools.TopicCommand --bootstrap-server $BROKERS ARGS...
  run-class CLASS ARGS  run a Java main class with the Kafka jars on the classpath

environment: KAFKA_LOCAL_HOME ($KAFKA_LOCAL_HOME), KAFKA_PORT ($KAFKA_PORT),
  KAFKA_CONTROLLER_PORT ($KAFKA_CONTROLLER_PORT), KAFKA_START_TIMEOUT, KAFKA_STOP_TIMEOUT,
  KAFKA_HEAP_OPTS, KAFKA_JVM_OPTS, KAFKA_SERVER_PROPS, KAFKA_VERSION, KEEP_DATA, MVN, JAVA_HOME
EOF
}

# --- jars -------------------------------------------------------------------

pom_stamp() { printf '%s %s\n' "$(sha256sum -- "$POM" | cut -d' ' -f1)" "$KAFKA_VERSION"; }

jars_cached() {
	[[ -f $KAFKA_LIB_DIR/.pom.sha256 ]] &&
		[[ $(<"$KAFKA_LIB_DIR/.pom.sha256") == "$(pom_stamp)" ]] &&
		compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" >/dev/null
}

ensure_jars() {
	if jars_cached; then
		return 0
	fi
	command -v "$MVN" >/dev/null 2>&1 || die "'$MVN' not found; install Maven (apt-get install -y maven)"
	mkdir -p -- "$KAFKA_LOCAL_HOME"
	local tmp t0 t1 vopt=()
	[[ -z $KAFKA_VERSION ]] || vopt=(-Dkafka.version="$KAFKA_VERSION")
	tmp=$(mktemp -d "$KAFKA_LOCAL_HOME/lib.tmp.XXXXXX")
	log "resolving Kafka jars from Maven Central into $KAFKA_LIB_DIR ..."
	t0=$(date +%s)
	if ! "$MVN" -q -B -f "$POM" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp" ${vopt[@]+"${vopt[@]}"} >"$tmp.mvn.log" 2>&1; then
		cat -- "$tmp.mvn.log" >&2 || true
		rm -rf -- "$tmp" "$tmp.mvn.log"
		die "maven dependency resolution failed"
	fi
	t1=$(date +%s)
	rm -f -- "$tmp.mvn.log"
	pom_stamp >"$tmp/.pom.sha256"
	rm -rf -- "$KAFKA_LIB_DIR"
	mv -- "$tmp" "$KAFKA_LIB_DIR"
	log "jars resolved in $((t1 - t0))s ($(find "$KAFKA_LIB_DIR" -name '*.jar' | wc -l) jars, kafka $(kafka_version))"
}

kafka_version() {
	local j
	j=$(compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" | head -n1) || true
	j=${j##*/kafka_2.13-}
	printf '%s\n' "${j%.jar}"
}

# Run a Kafka CLI class quietly (WARN logs to stderr).
run_class() {
	# Use whatever is cached (maybe another KAFKA_VERSION); resolve only if empty.
	compgen -G "$KAFKA_LIB_DIR/kafka_2.13-*.jar" >/dev/null || ensure_jars
	# shellcheck disable=SC2086 # KAFKA_JVM_OPTS is a word list on purpose
	"$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$LOG4J_CONF" \
		-Dkafka.local.loglevel=WARN -Dkafka.local.logtarget=SYSTEM_ERR \
		-cp "$KAFKA_LIB_DIR/*" "$@"
}

# --- process helpers ----------------------------------------------------------

# Prints the pid if the pid file names a live broker process of ours.
running_pid() {
	[[ -f $KAFKA_PID_FILE ]] || return 1
	local pid
	pid=$(<"$KAFKA_PID_FILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	is_alive "$pid" || return 1
	# Guard against a recycled pid: it must be a kafka.Kafka JVM.
	if [[ -r /proc/$pid/cmdline ]]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
	fi
	printf '%s\n' "$pid"
}

# kill -0 also succeeds for a zombie (our own child that died before we reaped it).
is_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [[ -r /proc/$1/stat ]]; then
		local stat
		stat=$(<"/proc/$1/stat") || return 1
		stat=${stat##*) }
		[[ ${stat%% *} != Z ]]
	fi
}

port_open() {
	# Subshell so the fd is closed again whatever happens.
	(exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

# A real protocol round-trip: metadata request via kcat if present, else the
# Java AdminClient (TopicCommand --list).
broker_answers() {
	if command -v kcat >/dev/null 2>&1; then
		kcat -b "$BROKERS" -L -m 5 2>/dev/null | grep -q 'broker 1 at'
	else
		timeout 30 "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
			-Dlog4j2.configurationFile="$LOG4J_CONF" \
			-Dkafka.local.loglevel=ERROR -Dkafka.local.logtarget=SYSTEM_ERR \
			-cp "$KAFKA_LIB_DIR/*" org.apache.kafka.tools.TopicCommand \
			--bootstrap-server "$BROKERS" --list >/dev/null 2>&1
	fi
}

# SIGTERM, wait up to KAFKA_STOP_TIMEOUT, then SIGKILL.
terminate() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
	while is_alive "$pid" && ((SECONDS < deadline)); do
		sleep 0.2
	done
	if is_alive "$pid"; then
		log "pid $pid still alive after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		while is_alive "$pid"; do sleep 0.1; done
	fi
}

log_tail() {
	if [[ -f $KAFKA_LOG_FILE ]]; then
		log "last 60 lines of $KAFKA_LOG_FILE:"
		tail -n 60 -- "$KAFKA_LOG_FILE" >&2 || true
	fi
}

# --- properties / storage -----------------------------------------------------

random_cluster_id() {
	# Kafka cluster ids are 16 random bytes, base64url without padding (22 chars).
	head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

write_properties() {
	local tpl
	tpl=$(<"$PROPS_TEMPLATE")
	tpl=${tpl//@KAFKA_PORT@/"$KAFKA_PORT"}
	tpl=${tpl//@KAFKA_CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}
	tpl=${tpl//@KAFKA_DATA_DIR@/"$KAFKA_DATA_DIR"}
	{
		printf '%s\n' "$tpl"
		if [[ -n $KAFKA_SERVER_PROPS ]]; then
			printf '\n# From KAFKA_SERVER_PROPS\n%s\n' "$KAFKA_SERVER_PROPS"
		fi
	} >"$KAFKA_DATA_DIR/server.properties"
}

prepare_data_dir() {
	if [[ $KEEP_DATA == 1 && -f $KAFKA_DATA_DIR/kraft-logs/meta.properties ]]; then
		log "KEEP_DATA=1: reusing formatted data dir $KAFKA_DATA_DIR"
		write_properties
		return 0
	fi
	rm -rf -- "$KAFKA_DATA_DIR"
	mkdir -p -- "$KAFKA_DATA_DIR/kraft-logs"
	write_properties
	local cid out
	cid=$(random_cluster_id)
	if ! out=$(run_class kafka.tools.StorageTool format --standalone \
		--cluster-id "$cid" --config "$KAFKA_DATA_DIR/server.properties" 2>&1); then
		printf '%s\n' "$out" >&2
		die "formatting storage in $KAFKA_DATA_DIR failed"
	fi
}

# --- commands -----------------------------------------------------------------

cmd_start() {
	local pid
	if pid=$(running_pid); then
		log "already running (pid $pid)"
		echo "KAFKA_BROKERS=$BROKERS"
		return 0
	fi
	rm -f -- "$KAFKA_PID_FILE"
	command -v "$JAVA" >/dev/null 2>&1 || die "'$JAVA' not found; install Java 17+ (apt-get install -y openjdk-17-jre-headless)"
	local p
	for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
		if port_open "$p"; then
			die "port $KAFKA_HOST:$p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
		fi
	done

	ensure_jars
	mkdir -p -- "$KAFKA_LOCAL_HOME" "$(dirname -- "$KAFKA_PID_FILE")" "$(dirname -- "$KAFKA_LOG_FILE")"
	local t0
	t0=$(date +%s%N)
	prepare_data_dir

	: >"$KAFKA_LOG_FILE"
	# shellcheck disable=SC2086 # heap/JVM opts are word lists on purpose
	nohup "$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$LOG4J_CONF" $KAFKA_JVM_OPTS \
		-cp "$KAFKA_LIB_DIR/*" kafka.Kafka "$KAFKA_DATA_DIR/server.properties" \
		>>"$KAFKA_LOG_FILE" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$KAFKA_PID_FILE"
	log "started kafka $(kafka_version) (pid $pid), log: $KAFKA_LOG_FILE; waiting up to ${KAFKA_START_TIMEOUT}s"

	local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
	while :; do
		if ! is_alive "$pid"; then
			rm -f -- "$KAFKA_PID_FILE"
			log_tail
			die "broker exited during start-up"
		fi
		if port_open "$KAFKA_PORT" && broker_answers; then
			break
		fi
		if ((SECONDS >= deadline)); then
			log_tail
			log "broker did not answer on $BROKERS within ${KAFKA_START_TIMEOUT}s; stopping pid $pid"
			terminate "$pid"
			rm -f -- "$KAFKA_PID_FILE"
			die "start-up timed out"
		fi
		sleep 0.5
	done
	local ms=$((($(date +%s%N) - t0) / 1000000))
	log "ready on $BROKERS after $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
	echo "KAFKA_BROKERS=$BROKERS"
}

cmd_stop() {
	local pid
	if pid=$(running_pid); then
		log "stopping pid $pid"
		terminate "$pid"
		log "stopped"
	else
		log "not running"
	fi
	rm -f -- "$KAFKA_PID_FILE"
	if [[ $KEEP_DATA == 1 ]]; then
		log "KEEP_DATA=1: keeping $KAFKA_DATA_DIR"
	else
		rm -rf -- "$KAFKA_DATA_DIR"
	fi
}

cmd_status() {
	local pid
	if pid=$(running_pid); then
		log "running (pid $pid, kafka $(kafka_version))"
		echo "KAFKA_BROKERS=$BROKERS"
	else
		log "not running"
		return 1
	fi
}

cmd_logs() {
	[[ -f $KAFKA_LOG_FILE ]] || die "no log file at $KAFKA_LOG_FILE"
	if [[ ${1:-} == -f ]]; then
		tail -n 100 -F -- "$KAFKA_LOG_FILE"
	else
		cat -- "$KAFKA_LOG_FILE"
	fi
}

main() {
	local cmd=${1:-}
	shift || true
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	logs) cmd_logs "$@" ;;
	topics) run_class org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" "$@" ;;
	run-class)
		[[ $# -ge 1 ]] || die "run-class needs a class name"
		run_class "$@"
		;;
	-h | --help | help) usage ;;
	*)
		usage
		exit 2
		;;
	esac
}

main "$@"
