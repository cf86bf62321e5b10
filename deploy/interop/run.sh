#!/usr/bin/env bash
# Interop check: the connector writes events to a real Kafka broker, and a
# consumer this project did not write (Python confluent-kafka + fastavro,
# with only schemas/*.avsc from this repository) reads and checks them.
#
#   kafka_env=$(deploy/kafka/kafka-local.sh start) && export "$kafka_env"
#   deploy/interop/run.sh
#
# Steps:
#   1. a Python venv in $INTEROP_VENV (default ~/.cache/postident-interop/venv),
#      created once, reinstalled when requirements.txt changes;
#   2. a schema registry for the Confluent-framed run: INTEROP_REGISTRY_URL
#      when set (a real Confluent-compatible registry), else the REST stub
#      registry_stub.py (see there why), started here and stopped on exit;
#      INTEROP_REGISTRY=none skips the Confluent-framed run;
#   3. go test -run TestInteropExport (INTEROP_DIR set): cases of every method
#      through the simulator and the connector into the broker of
#      KAFKA_BROKERS, single-object framing and Confluent framing; writes
#      expected.json;
#   4. consume.py reads the topics from the beginning and checks framing,
#      key, headers and every field of every record.
#
# Exit status non-zero on any failure. Needs Go, Python 3.9+ with venv, and
# network access to PyPI on the first run. INTEROP_KEEP=1 keeps the work
# directory (expected.json, logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${KAFKA_BROKERS:-}" ]; then
	echo "interop: KAFKA_BROKERS is not set; start a broker with deploy/kafka/kafka-local.sh start" >&2
	exit 2
fi
python=${PYTHON:-python3}
venv=${INTEROP_VENV:-$HOME/.cache/postident-interop/venv}
start=$(date +%s)
say() { echo "interop: $* ($(($(date +%s) - start))s)" >&2; }

# 1. venv. The stamp holds the requirements' hash and the interpreter
# version: either changing rebuilds it.
want_stamp="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$want_stamp" ]; then
	say "creating venv $venv"
	rm -rf -- "$venv"
	mkdir -p -- "$(dirname "$venv")"
	if ! "$python" -m venv "$venv"; then
		echo "interop: '$python -m venv' failed (Debian: apt-get install -y python3-venv)" >&2
		exit 2
	fi
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
	echo "$want_stamp" >"$venv/.stamp"
fi
py="$venv/bin/python"

work=$(mktemp -d "${TMPDIR:-/tmp}/postident-interop.XXXXXX")
registry_pid=
cleanup() {
	rc=$?
	if [ -n "$registry_pid" ]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
	fi
	if [ "${INTEROP_KEEP:-}" = 1 ] || [ $rc -ne 0 ]; then
		echo "interop: work directory kept: $work" >&2
	else
		rm -rf -- "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 2. registry.
registry_url=${INTEROP_REGISTRY_URL:-}
if [ -z "$registry_url" ] && [ "${INTEROP_REGISTRY:-stub}" != none ]; then
	"$py" "$here/registry_stub.py" --url-file "$work/registry.url" 2>"$work/registry.log" &
	registry_pid=$!
	for _ in $(seq 1 100); do
		if [ -s "$work/registry.url" ] && "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/subjects", timeout=1)' "$(cat "$work/registry.url")" 2>/dev/null; then
			registry_url=$(cat "$work/registry.url")
			break
		fi
		if ! kill -0 "$registry_pid" 2>/dev/null; then break; fi
		sleep 0.1
	done
	if [ -z "$registry_url" ]; then
		echo "interop: registry stub did not start:" >&2
		cat "$work/registry.log" >&2 || true
		exit 1
	fi
	say "registry stub (Confluent REST subset) on $registry_url"
elif [ -n "$registry_url" ]; then
	say "registry $registry_url"
else
	say "no registry: single-object run only"
fi

# 3. the Go half.
say "go test -run TestInteropExport against $KAFKA_BROKERS"
set +e
(cd "$root" && INTEROP_DIR="$work" INTEROP_REGISTRY_URL="$registry_url" \
	go test -run '^TestInteropExport$' -count=1 -timeout 180s -v ./cmd/postident-connector/) >"$work/go-test.log" 2>&1
rc=$?
set -e
grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|ok |FAIL|panic:)|interop_test.go' "$work/go-test.log" >&2 || true
if [ $rc -ne 0 ]; then
	echo "interop: go test failed; tail of its log:" >&2
	tail -60 "$work/go-test.log" >&2
	exit $rc
fi
if ! grep -q -- '--- PASS: TestInteropExport ' "$work/go-test.log" || [ ! -s "$work/expected.json" ]; then
	echo "interop: TestInteropExport did not run (skipped?) or wrote no expected.json" >&2
	exit 1
fi

# 4. the consumer this project did not write.
say "consume.py"
"$py" "$here/consume.py" "$work/expected.json"
say "done"
