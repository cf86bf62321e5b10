#!/usr/bin/env python3
"""Checks of the deployment files that no off-the-shelf validator makes.

Run by validate.sh inside its virtualenv (PyYAML). Each subcommand prints what it
checked and exits non-zero with the list of problems when something is wrong:

  env        compose and Kubernetes variables are ones the binaries read
  k8s        rendered manifests: probes, resources, securityContext, PDBs, Services,
             NetworkPolicies, secrets mounted for every *_FILE variable
  dashboard  Grafana dashboard and provisioning files
  promql     metric and label names in alerts and dashboard are the documented ones
  otel       OpenTelemetry collector configuration
  dockerfile the Dockerfile's build and runtime contract
  stack      cross-file wiring of docker-compose.yml (scrape target, mounts, ports)
  strip-annotations SRC DST    alert rules without annotations, for promtool tests
  prom-k8s-config SRC DST      checks kubernetes_sd_configs, writes a static copy for promtool
  dashboard-rules DASH DST     dashboard queries as recording rules, for promtool
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# The metrics the connector exports (Prometheus names) and their labels.
# Histograms also have _bucket (with le), _sum and _count.
METRICS: dict[str, set[str]] = {
    "postident_webhooks_total": {"outcome", "reason"},
    "postident_webhook_duration_seconds": {"outcome", "reason"},
    "postident_events_produced_total": {"type", "origin"},
    "postident_processor_fetches_total": {"outcome"},
    "postident_processor_skipped_total": {"reason"},
    "postident_state_cases": set(),
    "postident_state_expired_total": set(),
    "postident_reconcile_runs_total": {"outcome"},
    "postident_reconcile_cases_total": set(),
    "postident_archived_total": set(),
    "postident_archive_skipped_total": set(),
    "postident_archive_failed_total": set(),
    "postident_archive_batches_total": {"outcome"},
    "postident_scr_requests_total": {"endpoint", "outcome"},
    "postident_scr_request_duration_seconds": {"endpoint", "outcome"},
    "postident_consumer_lag": {"group"},
    "postident_cases_parked_total": {"class"},
    "postident_cases_parked": {"class"},
    "postident_processor_ready": set(),
    "postident_oldest_unhandled_notification_seconds": set(),
}
HISTOGRAMS = {"postident_webhook_duration_seconds", "postident_scr_request_duration_seconds"}
# Labels every series may carry: from the scrape (job, instance; component,
# namespace, pod from the Kubernetes relabeling) and the OpenTelemetry exporter.
COMMON_LABELS = {"job", "instance", "component", "namespace", "pod", "otel_scope_name", "otel_scope_version"}
OTHER_METRICS = {"up"}

ROLES = {"webhook", "processor", "reconciler", "archiver"}
SIM_DOCUMENTED = {
    "SIM_ADDR", "SIM_CLIENT_ID", "SIM_USERNAME", "SIM_PASSWORD", "SIM_DATA_PASSWORD",
    "SIM_REQUIRE_ENCRYPTION", "SIM_WEBHOOK_URL", "SIM_WEBHOOK_USERNAME", "SIM_WEBHOOK_PASSWORD",
    "SIM_TIME_SCALE", "SIM_SEED", "SIM_STREAM_RATE",
}


class Problems:
    def __init__(self, what: str):
        self.what = what
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)

    def check(self, cond: bool, msg: str) -> None:
        if not cond:
            self.add(msg)

    def done(self, ok_msg: str) -> int:
        if self.items:
            print(f"FAIL: {self.what}:", file=sys.stderr)
            for i in self.items:
                print(f"  - {i}", file=sys.stderr)
            return 1
        print(f"  {ok_msg}")
        return 0


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_yaml_all(path: Path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# --------------------------------------------------------------------------- env


def go_sources(*dirs: str) -> str:
    text = []
    for d in dirs:
        p = ROOT / d
        if p.is_dir():
            for f in sorted(p.rglob("*.go")):
                if not f.name.endswith("_test.go"):
                    text.append(f.read_text(encoding="utf-8"))
    return "\n".join(text)


def connector_env() -> set[str]:
    # The Config (and its env tags) lives in internal/app; the CLI may add
    # variables of its own.
    src = go_sources("internal/app", "cmd/postident-connector")
    names = set(re.findall(r'env:"([A-Z][A-Z0-9_]*)', src))
    if not names:
        raise SystemExit("FAIL: no env tags found in internal/app/*.go or cmd/postident-connector/*.go")
    return names


def known_connector_var(name: str, names: set[str]) -> bool:
    if name in names:
        return True
    if name.endswith("_FILE") and name[: -len("_FILE")] in names:
        return True
    # Standard variables read by the OpenTelemetry SDK and the Go runtime.
    return name.startswith("OTEL_") or name in {"GOMEMLIMIT", "GOMAXPROCS", "GODEBUG", "GOGC", "TZ"}


def sim_env() -> tuple[set[str], bool]:
    src = go_sources("cmd/postident-sim", "internal/sim")
    found = set(re.findall(r"\b(SIM_[A-Z0-9_]+)", src))
    if not found:
        return SIM_DOCUMENTED, False
    return found, True


def cmd_env() -> int:
    p = Problems("environment variables")
    names = connector_env()
    compose = load_yaml(ROOT / "docker-compose.yml")
    services = compose.get("services", {})
    checked = 0
    for svc in ("postident-connector",):
        env = services.get(svc, {}).get("environment", {})
        for k in env:
            checked += 1
            p.check(known_connector_var(k, names), f"docker-compose.yml: {svc}: {k} is not read by postident-connector")
    sim_names, sim_code = sim_env()
    for k in services.get("postident-sim", {}).get("environment", {}):
        checked += 1
        if k.endswith("_FILE") and k[:-5] in sim_names:
            continue
        p.check(k in sim_names, f"docker-compose.yml: postident-sim: {k} is not "
                + ("read by the simulator's code" if sim_code else "a documented simulator variable"))
    # Kubernetes: ConfigMap keys and container env.
    for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        for doc in load_yaml_all(f):
            if doc.get("kind") == "ConfigMap":
                for k in doc.get("data", {}):
                    checked += 1
                    p.check(known_connector_var(k, names), f"{f.name}: ConfigMap key {k} is not read by postident-connector")
            if doc.get("kind") == "Deployment":
                for c in doc["spec"]["template"]["spec"]["containers"]:
                    for e in c.get("env", []):
                        checked += 1
                        if e["name"] in {"POD_NAME", "POD_NAMESPACE"}:
                            continue  # used in $(...) substitutions
                        p.check(known_connector_var(e["name"], names), f"{f.name}: env {e['name']} is not read by postident-connector")
    note = "" if sim_code else " (simulator code not present yet: its variables checked against the documented list)"
    return p.done(f"env: {checked} variables in compose and k8s are ones the binaries read{note}")


# --------------------------------------------------------------------------- k8s


def cmd_k8s(rendered: str) -> int:
    p = Problems("Kubernetes manifests")
    docs = load_yaml_all(Path(rendered))
    by_kind: dict[str, list[dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}

    ns = [d["metadata"]["name"] for d in by_kind.get("Namespace", [])]
    p.check(len(ns) == 1, f"expected one Namespace, found {ns}")
    for d in docs:
        if d["kind"] != "Namespace":
            p.check(d["metadata"].get("namespace") in ns, f"{d['kind']}/{d['metadata']['name']} is not in the namespace {ns}")

    cms = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    secrets = {d["metadata"]["name"]: d for d in by_kind.get("Secret", [])}
    deployments = by_kind.get("Deployment", [])
    seen_roles: dict[str, str] = {}

    def match(selector: dict, labels: dict) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    for dep in deployments:
        name = dep["metadata"]["name"]
        tpl = dep["spec"]["template"]
        labels = tpl["metadata"].get("labels", {})
        spec = tpl["spec"]
        p.check(match(dep["spec"]["selector"]["matchLabels"], labels), f"{name}: selector does not match the pod labels")
        ann = tpl["metadata"].get("annotations", {})
        p.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9090"
                and ann.get("prometheus.io/path") == "/metrics", f"{name}: prometheus.io annotations missing or wrong")
        psc = spec.get("securityContext", {})
        p.check(psc.get("runAsNonRoot") is True, f"{name}: pod securityContext.runAsNonRoot must be true")
        p.check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccompProfile must be RuntimeDefault")
        p.check(spec.get("automountServiceAccountToken") is False, f"{name}: automountServiceAccountToken must be false")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        containers = spec["containers"]
        p.check(len(containers) == 1, f"{name}: expected one container")
        for c in containers:
            cn = f"{name}/{c['name']}"
            p.check(":" in c["image"] and not c["image"].endswith(":latest"), f"{cn}: image {c['image']} must have a pinned tag")
            env = {e["name"]: e for e in c.get("env", [])}
            role = env.get("ROLES", {}).get("value")
            p.check(role in ROLES, f"{cn}: ROLES must be exactly one role of {sorted(ROLES)}, got {role!r}")
            if role in seen_roles:
                p.add(f"{cn}: role {role} already run by {seen_roles[role]}")
            seen_roles[role] = name
            ports = {pt.get("name"): pt["containerPort"] for pt in c.get("ports", [])}
            p.check(9090 in ports.values(), f"{cn}: admin port 9090 not declared")
            if role == "webhook":
                p.check(8080 in ports.values(), f"{cn}: webhook port 8080 not declared")
            else:
                p.check(8080 not in ports.values(), f"{cn}: only the webhook role serves 8080")

            def probe(kind: str, path: str) -> None:
                pr = c.get(kind)
                if not pr:
                    p.add(f"{cn}: {kind} missing")
                    return
                hg = pr.get("httpGet", {})
                port = hg.get("port")
                port = ports.get(port, port)
                p.check(hg.get("path") == path and port == 9090, f"{cn}: {kind} must GET {path} on 9090, has {hg.get('path')} on {port}")

            probe("livenessProbe", "/healthz")
            probe("readinessProbe", "/readyz")
            res = c.get("resources", {})
            for k in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    p.check(r in res.get(k, {}), f"{cn}: resources.{k}.{r} missing")
            sc = c.get("securityContext", {})
            p.check(sc.get("readOnlyRootFilesystem") is True, f"{cn}: readOnlyRootFilesystem must be true")
            p.check(sc.get("allowPrivilegeEscalation") is False, f"{cn}: allowPrivilegeEscalation must be false")
            p.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{cn}: capabilities must drop ALL")
            p.check("GOMEMLIMIT" not in env or mem_bytes(env["GOMEMLIMIT"].get("value", "0")) < mem_bytes(res.get("limits", {}).get("memory", "0")),
                    f"{cn}: GOMEMLIMIT must be below the memory limit")
            # envFrom references exist; *_FILE variables point into a mounted Secret key.
            file_vars: dict[str, str] = {}
            for ef in c.get("envFrom", []):
                ref = ef.get("configMapRef", {}).get("name")
                if ref:
                    if ref not in cms:
                        p.add(f"{cn}: envFrom ConfigMap {ref} not in the manifests")
                        continue
                    for k, v in cms[ref].get("data", {}).items():
                        if k.endswith("_FILE"):
                            file_vars[k] = v
            for k, e in env.items():
                if k.endswith("_FILE") and "value" in e:
                    file_vars[k] = e["value"]
            mounts = {m["mountPath"].rstrip("/"): m["name"] for m in c.get("volumeMounts", [])}
            p.check("/tmp" in mounts, f"{cn}: /tmp must be a writable volume with a read-only root filesystem")
            for var, path in sorted(file_vars.items()):
                d, _, key = path.rpartition("/")
                vol = volumes.get(mounts.get(d, ""))
                if not vol or "secret" not in vol:
                    p.add(f"{cn}: {var}={path} is not in a mounted Secret")
                    continue
                sname = vol["secret"]["secretName"]
                sec = secrets.get(sname)
                if not sec:
                    p.add(f"{cn}: Secret {sname} is not in the manifests")
                    continue
                keys = set(sec.get("stringData", {})) | set(sec.get("data", {}))
                p.check(key in keys, f"{cn}: {var} needs key {key} in Secret {sname}")
            if c.get("envFrom") is None:
                p.add(f"{cn}: no envFrom ConfigMap")
        # Replicas, rollout and shutdown bound (issue 14): the scaled roles run
        # at least two pods, roll one pod at a time, and Kubernetes waits
        # longer than the connector's SHUTDOWN_TIMEOUT (within which the
        # processor finishes and commits its batch and leaves the group)
        # before it kills a pod.
        if role in ("webhook", "processor", "archiver"):
            p.check(dep["spec"].get("replicas", 1) >= 2, f"{name}: the {role} role needs replicas >= 2")
        ru = dep["spec"].get("strategy", {}).get("rollingUpdate", {})
        p.check(dep["spec"].get("strategy", {}).get("type") == "RollingUpdate" and int(ru.get("maxUnavailable", 1)) <= 1
                and int(ru.get("maxSurge", 1)) <= 1, f"{name}: rollout must be RollingUpdate, one pod at a time")
        shutdown = None
        for ef in containers[0].get("envFrom", []):
            v = cms.get(ef.get("configMapRef", {}).get("name"), {}).get("data", {}).get("SHUTDOWN_TIMEOUT")
            if v:
                shutdown = v
        grace = spec.get("terminationGracePeriodSeconds", 30)
        m = re.fullmatch(r"(\d+)s", shutdown or "")
        p.check(m is not None, f"{name}: SHUTDOWN_TIMEOUT must be set in its ConfigMap in whole seconds (got {shutdown!r})")
        if m:
            p.check(grace >= int(m.group(1)) + 5, f"{name}: terminationGracePeriodSeconds {grace} must exceed SHUTDOWN_TIMEOUT {shutdown} by at least 5s")
        # one PDB per Deployment
        pdbs = [x for x in by_kind.get("PodDisruptionBudget", []) if match(x["spec"]["selector"]["matchLabels"], labels)]
        p.check(len(pdbs) == 1, f"{name}: expected one PodDisruptionBudget selecting its pods, found {len(pdbs)}")
        if pdbs and dep["spec"].get("replicas", 1) <= 1:
            p.check("maxUnavailable" in pdbs[0]["spec"], f"{name}: one replica with minAvailable would block every drain; use maxUnavailable")
    p.check(set(seen_roles) == ROLES, f"roles without a Deployment: {sorted(ROLES - set(seen_roles))}")

    svcs = {d["metadata"]["name"]: d for d in by_kind.get("Service", [])}
    pod_labels = [(d["spec"]["template"]["metadata"]["labels"], d) for d in deployments]
    webhook_svc = [s for s in svcs.values() if any(pt.get("targetPort") in (8080, "http-webhook") for pt in s["spec"]["ports"])]
    p.check(len(webhook_svc) == 1, "expected one Service for the webhook port")
    for s in webhook_svc:
        sel = s["spec"]["selector"]
        targets = [d["metadata"]["name"] for lab, d in pod_labels if match(sel, lab)]
        p.check(targets == [seen_roles.get("webhook")], f"Service {s['metadata']['name']} must select only the webhook pods, selects {targets}")
    metrics_svc = [s for s in svcs.values() if s["spec"].get("clusterIP") == "None"]
    p.check(len(metrics_svc) == 1, "expected one headless Service for the admin port")
    for s in metrics_svc:
        sel = s["spec"]["selector"]
        targets = {d["metadata"]["name"] for lab, d in pod_labels if match(sel, lab)}
        p.check(targets == {d["metadata"]["name"] for d in deployments}, f"headless Service must select every role, selects {sorted(targets)}")

    # NetworkPolicies
    nps = by_kind.get("NetworkPolicy", [])
    ingress_ports: dict[int, list] = {}
    egress_ports: set[int] = set()
    for np_ in nps:
        for rule in np_["spec"].get("ingress", []):
            for pt in rule.get("ports", []):
                ingress_ports.setdefault(pt["port"], []).append((np_, rule))
        for rule in np_["spec"].get("egress", []):
            for pt in rule.get("ports", []):
                egress_ports.add(pt["port"])
    p.check(8080 in ingress_ports and any(not r.get("from") for _, r in ingress_ports.get(8080, [])),
            "NetworkPolicy must allow the webhook port 8080 from anywhere")
    p.check(all(r.get("from") and all("namespaceSelector" in f for f in r["from"]) for _, r in ingress_ports.get(9090, [])) and 9090 in ingress_ports,
            "NetworkPolicy must allow 9090 only from a (monitoring) namespace")
    for port in (53, 443, 9092):
        p.check(port in egress_ports, f"NetworkPolicy egress must allow port {port}")
    covered = set()
    for np_ in nps:
        if "Egress" in np_["spec"].get("policyTypes", []):
            covered |= {d["metadata"]["name"] for lab, d in pod_labels if match(np_["spec"]["podSelector"].get("matchLabels", {}), lab)}
    p.check(covered == {d["metadata"]["name"] for d in deployments}, "every Deployment must be covered by an egress NetworkPolicy")
    sa = {d["metadata"]["name"] for d in by_kind.get("ServiceAccount", [])}
    for dep in deployments:
        san = dep["spec"]["template"]["spec"].get("serviceAccountName")
        p.check(san in sa, f"{dep['metadata']['name']}: ServiceAccount {san} not in the manifests")
    kinds = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items()))
    return p.done(f"k8s policy: {len(docs)} objects ({kinds}); probes, resources, securityContext, PDBs, Services, NetworkPolicies and *_FILE secrets consistent")


def mem_bytes(v: str) -> int:
    m = re.fullmatch(r"(\d+)\s*(Ki|Mi|Gi|KiB|MiB|GiB|B)?", str(v))
    if not m:
        return 0
    mult = {None: 1, "B": 1, "Ki": 1 << 10, "KiB": 1 << 10, "Mi": 1 << 20, "MiB": 1 << 20, "Gi": 1 << 30, "GiB": 1 << 30}[m.group(2)]
    return int(m.group(1)) * mult


# --------------------------------------------------------------------------- dashboard


def dashboard_exprs(dash: dict) -> list[tuple[str, str]]:
    out = []

    def walk(panels):
        for pnl in panels:
            for t in pnl.get("targets", []):
                if "expr" in t:
                    out.append((pnl.get("title", "?"), t["expr"]))
            walk(pnl.get("panels", []))

    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and isinstance(q, str):
            out.append((f"variable {v['name']}", q))
    return out


def grafana_to_promql(expr: str) -> str:
    for k, v in {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "${__range}": "1h"}.items():
        expr = expr.replace(k, v)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", ".+", expr)


def cmd_dashboard(path: str, provisioning: str) -> int:
    p = Problems("Grafana dashboard")
    try:
        dash = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        print(f"FAIL: {path}: not valid JSON: {e}", file=sys.stderr)
        return 1
    for k in ("uid", "title", "panels", "schemaVersion", "templating", "time", "tags"):
        p.check(k in dash, f"missing top-level key {k}")
    p.check("__inputs" not in dash, "a provisioned dashboard must not have __inputs (export without 'share externally')")
    p.check(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(dash.get("uid", ""))) is not None, "uid must be 1-40 of [A-Za-z0-9_-]")
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    p.check(variables.get("datasource", {}).get("type") == "datasource"
            and variables.get("datasource", {}).get("query") == "prometheus", "needs a Prometheus datasource variable named datasource")
    ids = []
    n_panels = 0
    n_targets = 0

    def check_panels(panels):
        nonlocal n_panels, n_targets
        for pnl in panels:
            ids.append(pnl.get("id"))
            gp = pnl.get("gridPos", {})
            title = pnl.get("title", "?")
            p.check(pnl.get("title"), f"panel {pnl.get('id')} has no title")
            p.check(all(k in gp for k in ("x", "y", "w", "h")) and gp.get("x", 0) + gp.get("w", 0) <= 24,
                    f"panel {title!r}: gridPos missing or wider than 24 columns")
            if pnl.get("type") == "row":
                check_panels(pnl.get("panels", []))
                continue
            n_panels += 1
            p.check(pnl.get("type") in {"timeseries", "stat", "gauge", "table", "bargauge", "heatmap", "text", "piechart"},
                    f"panel {title!r}: unexpected type {pnl.get('type')}")
            ds = pnl.get("datasource", {})
            p.check(isinstance(ds, dict) and ds.get("uid") == "${datasource}", f"panel {title!r}: datasource must be ${{datasource}}")
            refs = [t.get("refId") for t in pnl.get("targets", [])]
            p.check(refs and len(refs) == len(set(refs)), f"panel {title!r}: targets need unique refIds")
            for t in pnl.get("targets", []):
                n_targets += 1
                p.check(t.get("expr"), f"panel {title!r}: target {t.get('refId')} has no expr")
                for var in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", t.get("expr", "")):
                    p.check(var.startswith("__") or var in variables, f"panel {title!r}: ${var} is not a dashboard variable")
                tds = t.get("datasource", ds)
                p.check(tds == ds, f"panel {title!r}: target datasource differs from the panel's")

    check_panels(dash.get("panels", []))
    p.check(len(ids) == len(set(ids)) and None not in ids, "panel ids must be unique")
    # Every documented metric is on the dashboard.
    text = " ".join(e for _, e in dashboard_exprs(dash))
    for m in METRICS:
        p.check(m in text, f"metric {m} is not on the dashboard")
    for needle, what in [("histogram_quantile(0.5, sum by (le) (rate(postident_webhook_duration_seconds_bucket", "webhook p50"),
                         ("histogram_quantile(0.99, sum by (le) (rate(postident_webhook_duration_seconds_bucket", "webhook p99"),
                         ("sum by (reason)", "rejections by reason"), ("sum by (endpoint, outcome)", "POSTIDENT calls by endpoint/outcome"),
                         ("sum by (type)", "events by type"), ("sum by (group)", "consumer lag by group")]:
        p.check(needle in text, f"dashboard lacks {what}")

    # Provisioning
    prov = Path(provisioning)
    ds_files = sorted((prov / "datasources").glob("*.y*ml"))
    db_files = sorted((prov / "dashboards").glob("*.y*ml"))
    p.check(ds_files and db_files, "provisioning needs datasources/*.yaml and dashboards/*.yaml")
    for f in ds_files:
        d = load_yaml(f)
        p.check(d.get("apiVersion") == 1, f"{f.name}: apiVersion must be 1")
        for ds_ in d.get("datasources", []):
            p.check(all(ds_.get(k) for k in ("name", "type", "url", "uid")), f"{f.name}: datasource needs name, type, url, uid")
            p.check(ds_.get("type") == "prometheus", f"{f.name}: {ds_.get('name')} is not a prometheus datasource")
        p.check(sum(1 for x in d.get("datasources", []) if x.get("isDefault")) == 1, f"{f.name}: exactly one default datasource")
    for f in db_files:
        d = load_yaml(f)
        p.check(d.get("apiVersion") == 1, f"{f.name}: apiVersion must be 1")
        for pr in d.get("providers", []):
            p.check(pr.get("type") == "file" and pr.get("options", {}).get("path"), f"{f.name}: provider needs type file and options.path")
    return p.done(f"dashboard: {Path(path).name}: {n_panels} panels, {n_targets} queries, all documented metrics shown; "
                  f"{len(ds_files)} datasource and {len(db_files)} dashboard provisioning files")


def cmd_dashboard_rules(path: str, dst: str) -> int:
    """Writes the dashboard's queries as recording rules, so promtool parses them."""
    dash = json.loads(Path(path).read_text(encoding="utf-8"))
    rules = []
    for i, (title, expr) in enumerate(dashboard_exprs(dash)):
        if expr.startswith("label_values("):
            m = re.fullmatch(r"label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)", expr)
            if not m:
                print(f"FAIL: {title}: cannot read {expr}", file=sys.stderr)
                return 1
            expr = m.group(1)
        rules.append({"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)})
    Path(dst).write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------- promql names

SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\{([^}]*)\}|([a-zA-Z_:][a-zA-Z0-9_:]*)")
KEYWORDS = {
    "sum", "rate", "increase", "histogram_quantile", "by", "without", "and", "or", "unless", "max", "min", "avg", "count",
    "absent", "absent_over_time", "clamp_min", "clamp_max", "on", "ignoring", "group_left", "group_right", "bool", "topk",
    "bottomk", "irate", "delta", "label_values", "offset", "le", "inf", "nan", "time", "vector", "scalar", "abs", "humanize",
}


def metric_base(name: str) -> str | None:
    if name in METRICS or name in OTHER_METRICS:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
            return name[: -len(suffix)]
    return None


def check_expr(where: str, expr: str, p: Problems, used: set[str]) -> None:
    e = grafana_to_promql(expr)
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)  # drop string contents
    e = re.sub(r"\[[^\]]*\]", "", e)  # drop ranges
    metrics_here = set()
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", e):
        name, matchers = m.group(1), m.group(2)
        if name in KEYWORDS:
            continue
        base = metric_base(name)
        if base is None:
            p.add(f"{where}: unknown metric {name}")
            continue
        metrics_here.add(base)
        allowed = METRICS.get(base, set()) | COMMON_LABELS | ({"le"} if name.endswith("_bucket") else set())
        for lab in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
            if lab == "__name__":
                continue
            p.check(base == "up" or lab in allowed, f"{where}: label {lab} is not a label of {base}")
    for m in re.finditer(r"(?<![{,\w])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w{(])", re.sub(r"\{[^}]*\}", "", e)):
        name = m.group(1)
        if name in KEYWORDS or re.fullmatch(r"\d.*|e\d*", name):
            continue
        if name.startswith(("postident_",)) or name == "up":
            base = metric_base(name)
            if base is None:
                p.add(f"{where}: unknown metric {name}")
            else:
                metrics_here.add(base)
    by_labels = set()
    for grp in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", e):
        by_labels |= {x.strip() for x in grp.split(",") if x.strip()}
    allowed_by = set(COMMON_LABELS) | {"le"}
    for mname in metrics_here:
        allowed_by |= METRICS.get(mname, set())
    for lab in by_labels:
        p.check(lab in allowed_by, f"{where}: groups by {lab}, which none of {sorted(metrics_here)} has")
    used |= metrics_here


def cmd_promql(alerts: str, dashboard: str) -> int:
    p = Problems("metric and label names")
    used: set[str] = set()
    n = 0
    for g in load_yaml(Path(alerts))["groups"]:
        for r in g["rules"]:
            n += 1
            check_expr(f"alerts.yml {r.get('alert') or r.get('record')}", r["expr"], p, used)
            ann = r.get("annotations", {})
            if "alert" in r:
                for k in ("summary", "description", "runbook"):
                    p.check(ann.get(k), f"alerts.yml {r['alert']}: annotation {k} missing")
                p.check(r.get("labels", {}).get("severity") in {"critical", "warning", "info"}, f"alerts.yml {r['alert']}: severity label missing")
    dash = json.loads(Path(dashboard).read_text(encoding="utf-8"))
    for title, expr in dashboard_exprs(dash):
        n += 1
        check_expr(f"dashboard {title!r}", expr, p, used)
    # Which names does the code export today? (information, not a failure: other
    # packages may still be written)
    src = go_sources("cmd", "connector", "internal")
    missing = sorted(m for m in METRICS if m in used and m not in src)
    rc = p.done(f"promql names: {n} expressions use only documented metrics and labels ({len(used)} metrics)")
    if missing:
        print(f"  NOTE: not (yet) found in the Go sources: {', '.join(missing)}")
    return rc


# --------------------------------------------------------------------------- otel

OTEL_KNOWN = {
    "receivers": {"otlp", "prometheus", "hostmetrics", "filelog", "jaeger", "zipkin", "kafka"},
    "processors": {"batch", "memory_limiter", "attributes", "resource", "filter", "transform", "redaction", "tail_sampling",
                   "probabilistic_sampler", "k8sattributes", "resourcedetection"},
    "exporters": {"debug", "otlp", "otlphttp", "prometheus", "prometheusremotewrite", "file", "kafka", "nop"},
    "extensions": {"health_check", "pprof", "zpages", "basicauth", "bearertokenauth"},
    "connectors": {"spanmetrics", "forward", "count"},
}


def cmd_otel(path: str) -> int:
    p = Problems("OpenTelemetry collector configuration")
    cfg = load_yaml(Path(path))
    p.check(isinstance(cfg, dict), "not a mapping")
    allowed_top = set(OTEL_KNOWN) | {"service"}
    for k in cfg:
        p.check(k in allowed_top, f"unknown top-level key {k}")
    defined = {}
    for kind in OTEL_KNOWN:
        for comp in (cfg.get(kind) or {}):
            ctype = comp.split("/")[0]
            p.check(ctype in OTEL_KNOWN[kind], f"{kind}: unknown component type {ctype}"
                    + (" (the logging exporter was removed; use debug)" if ctype == "logging" else ""))
            defined.setdefault(kind, set()).add(comp)
    svc = cfg.get("service", {})
    used = {k: set() for k in OTEL_KNOWN}
    for ext in svc.get("extensions", []):
        p.check(ext in defined.get("extensions", set()), f"service.extensions: {ext} is not defined")
        used["extensions"].add(ext)
    pipelines = svc.get("pipelines", {})
    p.check("traces" in pipelines, "no traces pipeline")
    for pname, pl in pipelines.items():
        p.check(pname.split("/")[0] in {"traces", "metrics", "logs"}, f"pipeline {pname}: unknown signal")
        p.check(pl.get("receivers") and pl.get("exporters"), f"pipeline {pname}: needs receivers and exporters")
        for kind in ("receivers", "processors", "exporters"):
            for comp in pl.get(kind, []):
                p.check(comp in defined.get(kind, set()) or comp in defined.get("connectors", set()),
                        f"pipeline {pname}: {kind[:-1]} {comp} is not defined")
                used[kind].add(comp)
        procs = pl.get("processors", [])
        if "memory_limiter" in procs:
            p.check(procs[0] == "memory_limiter", f"pipeline {pname}: memory_limiter must be the first processor")
    for kind in ("receivers", "processors", "exporters", "extensions"):
        for comp in defined.get(kind, set()) - used[kind]:
            p.add(f"{kind[:-1]} {comp} is defined but not used")
    http = (((cfg.get("receivers") or {}).get("otlp") or {}).get("protocols") or {}).get("http")
    p.check(http is not None and str((http or {}).get("endpoint", "")).endswith(":4318"), "otlp receiver must listen for OTLP/HTTP on :4318")
    return p.done(f"otel: {Path(path).name}: {sum(len(v) for v in defined.values())} components, "
                  f"{len(pipelines)} pipeline(s), all defined and used")


# --------------------------------------------------------------------------- dockerfile


def cmd_dockerfile(path: str) -> int:
    p = Problems("Dockerfile")
    text = Path(path).read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    froms = [ln for ln in lines if ln.upper().startswith("FROM ")]
    p.check(len(froms) >= 2, "must be multi-stage")
    m = re.search(r"^ARG GO_VERSION=(\S+)", text, re.M)
    go_mod = (ROOT / "go.mod").read_text(encoding="utf-8")
    # The image is built with go.mod's toolchain line when there is one (the
    # release toolchain, with its security fixes), else with its go line.
    tc = re.search(r"^toolchain go(\S+)", go_mod, re.M)
    want = tc.group(1) if tc else re.search(r"^go (\d+\.\d+)", go_mod, re.M).group(1)
    which = "toolchain" if tc else "go"
    p.check(m is not None and m.group(1) == want, f"ARG GO_VERSION must be {want} (go.mod {which} line), is {m.group(1) if m else None}")
    p.check(any("golang:${GO_VERSION}" in f or f"golang:{want}" in f for f in froms[:-1]), "builder must be FROM golang:<go.mod version>")
    final = froms[-1]
    p.check("gcr.io/distroless/static" in final and ":nonroot" in final or final.split()[1] == "scratch",
            f"final stage must be distroless static nonroot or scratch, is {final}")
    builds = [ln for ln in lines if "go build" in ln and "./cmd/postident-connector" in ln]
    p.check(len(builds) == 1, "one go build of ./cmd/postident-connector expected")
    if builds:
        b = builds[0]
        for need in ("-trimpath", "./cmd/postident-sim", "-s -w", "-X main.version="):
            p.check(need in b, f"go build lacks {need}")
    p.check(re.search(r"CGO_ENABLED=0", joined) is not None, "CGO_ENABLED=0 missing")
    user = [ln for ln in lines if ln.upper().startswith("USER ")]
    p.check(user and re.fullmatch(r"USER 65532(:65532)?|USER nonroot(:nonroot)?", user[-1]) is not None, "final USER must be 65532 (nonroot)")
    p.check(any(re.fullmatch(r"EXPOSE 8080 9090", ln) for ln in lines), "EXPOSE 8080 9090 missing")
    p.check('ENTRYPOINT ["/postident-connector"]' in lines, 'ENTRYPOINT ["/postident-connector"] missing')
    p.check('CMD ["run"]' in lines, 'CMD ["run"] missing')
    return p.done(f"dockerfile: {Path(path).name}: {len(froms)} stages, golang:{want} builder, static flags, "
                  f"{final.split()[1]} runtime as 65532, EXPOSE 8080 9090, ENTRYPOINT/CMD")


# --------------------------------------------------------------------------- stack wiring


def cmd_stack() -> int:
    p = Problems("docker-compose.yml wiring")
    c = load_yaml(ROOT / "docker-compose.yml")
    s = c["services"]
    for need in ("kafka", "schema-registry", "postident-sim", "postident-connector", "otel-collector", "prometheus", "grafana"):
        p.check(need in s, f"service {need} missing")
    con = s.get("postident-connector", {})
    env = con.get("environment", {})
    p.check(env.get("KAFKA_BROKERS") == "kafka:9092", "connector KAFKA_BROKERS must be kafka:9092")
    p.check(str(env.get("KAFKA_REPLICATION_FACTOR")) == "1", "connector KAFKA_REPLICATION_FACTOR must be 1 on one broker")
    p.check(str(env.get("POSTIDENT_BASE_URL", "")).startswith("http://postident-sim:8090/api/scr/v1"), "connector POSTIDENT_BASE_URL must point at the simulator")
    p.check(env.get("SCHEMA_REGISTRY_URL") == "http://schema-registry:8081", "connector SCHEMA_REGISTRY_URL must point at schema-registry:8081")
    p.check(set(str(env.get("ROLES", "")).split(",")) == ROLES, "connector must run all roles")
    p.check(str(env.get("POSTIDENT_REQUIRE_ENCRYPTION")) == "false" or env.get("POSTIDENT_PRIVATE_KEY_FILE"),
            "connector needs POSTIDENT_REQUIRE_ENCRYPTION=false or a mounted key")
    sim = s.get("postident-sim", {})
    senv = sim.get("environment", {})
    p.check(sim.get("entrypoint") == ["/postident-sim"], "simulator entrypoint must be /postident-sim")
    p.check(str(senv.get("SIM_WEBHOOK_URL", "")).startswith("http://postident-connector:8080" + str(env.get("WEBHOOK_PATH", "/postident/webhook"))),
            "SIM_WEBHOOK_URL must call the connector's webhook path on 8080")
    p.check(senv.get("SIM_WEBHOOK_USERNAME") == env.get("WEBHOOK_USERNAME") and senv.get("SIM_WEBHOOK_PASSWORD") == env.get("WEBHOOK_PASSWORD"),
            "simulator webhook credentials must equal the connector's WEBHOOK_USERNAME/PASSWORD")
    for a, b in (("SIM_CLIENT_ID", "POSTIDENT_CLIENT_ID"), ("SIM_USERNAME", "POSTIDENT_USERNAME"), ("SIM_PASSWORD", "POSTIDENT_PASSWORD")):
        p.check(senv.get(a) == env.get(b), f"simulator {a} must equal connector {b}")
    p.check(str(senv.get("SIM_STREAM_RATE", "")).endswith("2}") or str(senv.get("SIM_STREAM_RATE")) == "2", "SIM_STREAM_RATE must default to 2")
    k = s.get("kafka", {})
    kenv = k.get("environment", {})
    p.check(k.get("image") == "apache/kafka:4.1.1", "kafka image must be apache/kafka:4.1.1")
    p.check("kafka:9092" in kenv.get("KAFKA_ADVERTISED_LISTENERS", "") and "localhost:29092" in kenv.get("KAFKA_ADVERTISED_LISTENERS", ""),
            "kafka must advertise kafka:9092 and localhost:29092")
    listeners = dict(x.split("://", 1) for x in kenv.get("KAFKA_LISTENERS", "").split(","))
    proto = dict(x.split(":", 1) for x in kenv.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(","))
    for lname in listeners:
        p.check(lname in proto, f"kafka listener {lname} has no security protocol")
    p.check(kenv.get("KAFKA_CONTROLLER_LISTENER_NAMES") in listeners, "controller listener not among KAFKA_LISTENERS")
    p.check(kenv.get("KAFKA_INTER_BROKER_LISTENER_NAME") in listeners, "inter-broker listener not among KAFKA_LISTENERS")
    p.check(re.fullmatch(r"[A-Za-z0-9_-]{22}", str(kenv.get("CLUSTER_ID", ""))) is not None, "CLUSTER_ID must be a 22-character base64url UUID")
    # Prometheus scrapes the connector's admin port and loads the rules next to its config.
    prom = load_yaml(ROOT / "deploy/prometheus/prometheus.yml")
    targets = [t for sc in prom["scrape_configs"] if sc["job_name"] == "postident-connector" for st in sc["static_configs"] for t in st["targets"]]
    admin_port = str(env.get("ADMIN_ADDR", ":9090")).rsplit(":", 1)[1]
    p.check(targets == [f"postident-connector:{admin_port}"], f"prometheus must scrape postident-connector:{admin_port}, scrapes {targets}")
    pvols = [v.split(":")[1] for v in s.get("prometheus", {}).get("volumes", []) if v.startswith("./")]
    for rf in prom.get("rule_files", []):
        p.check(f"/etc/prometheus/{rf}" in pvols, f"rule file {rf} is not mounted next to prometheus.yml")
    # Grafana: provisioning and dashboard mounted where the provider looks.
    gvols = {v.split(":")[0]: v.split(":")[1] for v in s.get("grafana", {}).get("volumes", []) if v.startswith("./")}
    prov = load_yaml(ROOT / "deploy/grafana/provisioning/dashboards/postident.yaml")
    path = prov["providers"][0]["options"]["path"]
    p.check(gvols.get("./deploy/grafana/postident-connector.json", "").startswith(path + "/"), f"dashboard JSON must be mounted under {path}")
    p.check(gvols.get("./deploy/grafana/provisioning") == "/etc/grafana/provisioning", "provisioning must be mounted at /etc/grafana/provisioning")
    ds = load_yaml(ROOT / "deploy/grafana/provisioning/datasources/prometheus.yaml")["datasources"][0]
    p.check(ds["url"] == "http://prometheus:9090", "Grafana datasource must point at http://prometheus:9090")
    # Collector: config mounted where --config points; the connector sends OTLP/HTTP to it.
    oc = s.get("otel-collector", {})
    cfgpath = next((a.split("=", 1)[1] for a in oc.get("command", []) if a.startswith("--config=")), None)
    p.check(any(v.split(":")[1] == cfgpath for v in oc.get("volumes", [])), "collector --config must be the mounted deploy/otel/collector.yaml")
    p.check(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4318", "connector must send OTLP/HTTP to otel-collector:4318")
    return p.done("stack: compose services wired (Kafka listeners, registry, simulator <-> webhook credentials, scrape target, rule and dashboard mounts, collector)")


# --------------------------------------------------------------------------- helpers for promtool


def cmd_strip_annotations(src: str, dst: str) -> int:
    d = load_yaml(Path(src))
    for g in d["groups"]:
        for r in g["rules"]:
            r.pop("annotations", None)
    Path(dst).write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return 0


K8S_SD_KEYS = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata",
               "basic_auth", "authorization", "oauth2", "tls_config", "proxy_url", "follow_redirects", "enable_http2"}
K8S_SD_ROLES = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}


def cmd_prom_k8s_config(src: str, dst: str) -> int:
    """Checks kubernetes_sd_configs by hand and writes a copy with static targets.

    Debian's promtool is built without Kubernetes service discovery, so it cannot
    parse kubernetes_sd_configs; with the block swapped for static_configs it still
    checks everything else (relabel rules, regexes, rule files).
    """
    p = Problems(f"{Path(src).name} kubernetes_sd_configs")
    cfg = load_yaml(Path(src))
    n = 0
    for sc in cfg.get("scrape_configs", []):
        sds = sc.pop("kubernetes_sd_configs", None)
        if sds is None:
            continue
        for sd in sds:
            n += 1
            for k in sd:
                p.check(k in K8S_SD_KEYS, f"job {sc['job_name']}: unknown kubernetes_sd_configs key {k}")
            p.check(sd.get("role") in K8S_SD_ROLES, f"job {sc['job_name']}: role must be one of {sorted(K8S_SD_ROLES)}")
            names = (sd.get("namespaces") or {}).get("names", [])
            p.check(isinstance(names, list) and all(isinstance(x, str) for x in names), f"job {sc['job_name']}: namespaces.names must be a list")
        sc["static_configs"] = [{"targets": ["pod.example:9090"]}]
    p.check(n > 0, "no kubernetes_sd_configs found")
    Path(dst).write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    for rf in cfg.get("rule_files", []):
        target = Path(dst).parent / rf
        if not target.exists():
            target.write_text((Path(src).parent / rf).read_text(encoding="utf-8"), encoding="utf-8")
    return p.done(f"prometheus-kubernetes: {n} kubernetes_sd_configs block(s) well-formed; promtool checks the rest on a static copy")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    table = {
        "env": cmd_env,
        "k8s": cmd_k8s,
        "dashboard": cmd_dashboard,
        "dashboard-rules": cmd_dashboard_rules,
        "promql": cmd_promql,
        "otel": cmd_otel,
        "dockerfile": cmd_dockerfile,
        "stack": cmd_stack,
        "strip-annotations": cmd_strip_annotations,
        "prom-k8s-config": cmd_prom_k8s_config,
    }
    if cmd not in table:
        print(__doc__, file=sys.stderr)
        return 2
    return table[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
