#!/usr/bin/env python3
"""Interop check: decode the connector's Kafka records with software this
project did not write.

Reads the topics named in expected.json (written by the Go test
TestInteropExport) from the beginning with confluent-kafka (librdkafka),
checks the framing of every value byte by byte, decodes it with fastavro
against schemas/*.avsc (single-object encoding) or against the schema the
registry returns for the record's id (Confluent wire format), and compares
the key, the CloudEvents headers and every field with what the connector
says it wrote. Nothing of this repository is used except the .avsc files.

Exit status 0 only when every expected record was read and every check
passed; 1 on any mismatch, 2 on a usage or setup error.
"""

import argparse
import datetime as dt
import io
import json
import os
import re
import sys
import time
import uuid

import fastavro
import fastavro.schema
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

# The documented contract (DESIGN.md "Events"): CloudEvents Kafka binding,
# binary mode, plus W3C traceparent and postident-origin.
CE_TYPES = {
    "status": "de.deutschepost.postident.case.status-changed.v1",
    "result": "de.deutschepost.postident.case.result.v1",
}
ORIGINS = {"webhook", "reconcile", "backfill"}
REQUIRED_HEADERS = [
    "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time",
    "content-type", "postident-origin", "traceparent",
]
TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")

SOE_MAGIC = b"\xc3\x01"  # Avro single-object encoding
SOE_HEADER = 10          # magic + 8-byte little-endian CRC-64-AVRO
CONFLUENT_MAGIC = 0      # Confluent wire format: magic + 4-byte big-endian id
CONFLUENT_HEADER = 5

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class Schema:
    """One .avsc file: parsed for fastavro, its Parsing Canonical Form and
    CRC-64-AVRO fingerprint as fastavro computes them."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.source = json.load(f)
        self.name = os.path.basename(path)
        self.canonical = fastavro.schema.to_parsing_canonical_form(self.source)
        # fastavro returns the 8 fingerprint bytes in little-endian order,
        # the order of the single-object header.
        self.fingerprint = bytes.fromhex(fastavro.schema.fingerprint(self.canonical, "CRC-64-AVRO"))
        self.parsed = fastavro.parse_schema(self.source)


class Registry:
    """The schema registry of a Confluent-framed run, read through
    confluent-kafka's SchemaRegistryClient and AvroDeserializer."""

    def __init__(self, url):
        # Imported here so single-object runs need only the base package.
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        self.url = url
        self.client = SchemaRegistryClient({"url": url})
        self.deserializer = AvroDeserializer(self.client)
        self.cache = {}

    def writer(self, schema_id):
        """The writer schema of an id: (parsed, canonical form)."""
        if schema_id not in self.cache:
            s = self.client.get_schema(schema_id)
            if (s.schema_type or "AVRO").upper() != "AVRO":
                raise ValueError(f"schema id {schema_id} is {s.schema_type}, not Avro")
            src = json.loads(s.schema_str)
            self.cache[schema_id] = (fastavro.parse_schema(src), fastavro.schema.to_parsing_canonical_form(src))
        return self.cache[schema_id]

    def latest_id(self, subject):
        return self.client.get_latest_version(subject).schema_id


def to_epoch_millis(v):
    """fastavro returns timestamp-millis as aware datetimes; expected.json
    has epoch milliseconds."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            raise ValueError(f"naive datetime {v!r} for a timestamp-millis")
        return (v - EPOCH) // dt.timedelta(milliseconds=1)
    if isinstance(v, dict):
        return {k: to_epoch_millis(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_epoch_millis(x) for x in v]
    return v


def differences(want, got, path="$"):
    """Strict deep comparison: types must agree too (True is not 1)."""
    out = []
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: want object, got {type(got).__name__} {got!r}"]
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}.{k}: missing in the decoded record")
            elif k not in want:
                out.append(f"{path}.{k}: decoded but not expected ({got[k]!r})")
            else:
                out.extend(differences(want[k], got[k], f"{path}.{k}"))
        return out
    if isinstance(want, list):
        if not isinstance(got, list):
            return [f"{path}: want array, got {type(got).__name__} {got!r}"]
        if len(want) != len(got):
            return [f"{path}: want {len(want)} items, got {len(got)}"]
        for i, (w, g) in enumerate(zip(want, got)):
            out.extend(differences(w, g, f"{path}[{i}]"))
        return out
    if type(want) is not type(got) or want != got:
        return [f"{path}: want {want!r} ({type(want).__name__}), got {got!r} ({type(got).__name__})"]
    return []


def parse_rfc3339(s):
    # Python before 3.11 accepts neither 'Z' nor nanoseconds.
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        raise ValueError(f"ce_time {s!r} is not RFC 3339")
    frac = (m.group(2) or ".0")[:7]
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return dt.datetime.fromisoformat(m.group(1) + frac + tz)


def check_headers(kind, key, headers, value, want):
    errs = []
    names = [k for k, _ in headers]
    h = {}
    for k, v in headers:
        try:
            h[k] = v.decode("utf-8") if v is not None else None
        except UnicodeDecodeError:
            errs.append(f"header {k}: not UTF-8")
    for k in REQUIRED_HEADERS:
        if k not in h:
            errs.append(f"header {k}: missing")
        elif names.count(k) > 1:
            errs.append(f"header {k}: {names.count(k)} times")
    if errs:
        return errs
    checks = [
        ("ce_specversion", h["ce_specversion"] == "1.0", "want 1.0"),
        ("ce_type", h["ce_type"] == CE_TYPES[kind], f"want {CE_TYPES[kind]}"),
        ("ce_id", h["ce_id"] == value.get("eventId"), f"want value.eventId {value.get('eventId')!r}"),
        ("ce_subject", h["ce_subject"] == key, f"want the key {key!r}"),
        ("ce_source", h["ce_source"] == "/postident/" + str(value.get("clientId")), "want /postident/<value.clientId>"),
        ("content-type", h["content-type"] == "application/avro", "want application/avro"),
        ("postident-origin", h["postident-origin"] in ORIGINS and h["postident-origin"] == value.get("origin"),
         f"want one of {sorted(ORIGINS)} equal to value.origin {value.get('origin')!r}"),
        ("traceparent", bool(TRACEPARENT.match(h["traceparent"])), "want a W3C traceparent"),
    ]
    for name, ok, msg in checks:
        if not ok:
            errs.append(f"header {name} {h[name]!r}: {msg}")
    try:
        uuid.UUID(h["ce_id"])
    except ValueError:
        errs.append(f"header ce_id {h['ce_id']!r}: not a UUID")
    try:
        parse_rfc3339(h["ce_time"])
    except ValueError as e:
        errs.append(str(e))
    # And exactly what the connector says it wrote.
    for k, v in sorted(want.items()):
        if h.get(k) != v:
            errs.append(f"header {k}: want {v!r}, got {h.get(k)!r}")
    return errs


def decode(run, schema, registry, topic, raw):
    """Checks the framing of raw and decodes it. Returns (value, errors)."""
    if not raw:
        return None, ["empty value"]
    if run["framing"] == "single-object":
        if raw[:2] != SOE_MAGIC:
            return None, [f"framing: want single-object magic c3 01, got {raw[:2].hex(' ')}"]
        if len(raw) < SOE_HEADER:
            return None, ["framing: value shorter than the single-object header"]
        if raw[2:SOE_HEADER] != schema.fingerprint:
            return None, [f"framing: fingerprint {raw[2:SOE_HEADER].hex()}, want {schema.fingerprint.hex()} "
                          f"(CRC-64-AVRO of {schema.name}, little-endian)"]
        writer, payload = schema.parsed, raw[SOE_HEADER:]
    elif run["framing"] == "confluent":
        if raw[0] != CONFLUENT_MAGIC:
            return None, [f"framing: want Confluent magic 00, got {raw[:1].hex()}"]
        if len(raw) < CONFLUENT_HEADER:
            return None, ["framing: value shorter than the Confluent header"]
        schema_id = int.from_bytes(raw[1:CONFLUENT_HEADER], "big")
        writer, canonical = registry.writer(schema_id)
        if canonical != schema.canonical:
            return None, [f"registry: schema id {schema_id} is not {schema.name} "
                          f"(canonical forms differ)"]
        subject = topic + "-value"
        latest = registry.latest_id(subject)
        if latest != schema_id:
            return None, [f"registry: subject {subject} has id {latest}, the record names {schema_id}"]
        payload = raw[CONFLUENT_HEADER:]
    else:
        return None, [f"unknown framing {run['framing']!r}"]
    buf = io.BytesIO(payload)
    value = fastavro.schemaless_reader(buf, writer, None)
    if buf.tell() != len(payload):
        return None, [f"decode: {len(payload) - buf.tell()} trailing bytes after the record"]
    value = to_epoch_millis(value)
    errs = []
    if registry is not None:
        # Confluent's own deserializer must read the same record.
        from confluent_kafka.serialization import MessageField, SerializationContext

        theirs = to_epoch_millis(registry.deserializer(raw, SerializationContext(topic, MessageField.VALUE)))
        errs += [f"AvroDeserializer: {d}" for d in differences(value, theirs)]
    return value, errs


def consume(brokers, topics, timeout):
    """Every record of topics, from the beginning to the end offsets at
    start, as confluent_kafka Messages."""
    c = Consumer({
        "bootstrap.servers": ",".join(brokers),
        "group.id": f"postident-interop-{uuid.uuid4()}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
    })
    try:
        assign, ends = [], {}
        md = c.list_topics(timeout=10)
        for t in topics:
            tm = md.topics.get(t)
            if tm is None or tm.error is not None:
                raise RuntimeError(f"topic {t}: {tm.error if tm else 'not found'}")
            for p in sorted(tm.partitions):
                lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                if hi > lo:
                    ends[(t, p)] = hi
                assign.append(TopicPartition(t, p, OFFSET_BEGINNING))
        c.assign(assign)
        msgs, deadline = [], time.monotonic() + timeout
        while ends and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(f"consume: {m.error()}")
            msgs.append(m)
            tp = (m.topic(), m.partition())
            if tp in ends and m.offset() >= ends[tp] - 1:
                del ends[tp]
        if ends:
            left = ", ".join(f"{t}/{p} (end {o})" for (t, p), o in sorted(ends.items()))
            raise RuntimeError(f"consume: not at the end after {timeout}s: {left}")
        return msgs
    finally:
        c.close()


def check_probe(probe, value):
    """The invented member of the unmapped-member probe (issue 13: members
    of POSTIDENT's answer the model does not map reach consumers) must be in
    the record's unmappedJson, a JSON object of JSON Pointer to value, read
    with nothing but the .avsc."""
    text = value.get("unmappedJson")
    if not isinstance(text, str):
        return [f"unmapped probe: unmappedJson is {text!r}, want a JSON object with {probe['path']}"]
    try:
        members = json.loads(text)
    except ValueError as e:
        return [f"unmapped probe: unmappedJson is not JSON: {e}"]
    if not isinstance(members, dict) or probe["path"] not in members:
        return [f"unmapped probe: {probe['path']} not in unmappedJson {text!r}"]
    return [f"unmapped probe: {d}" for d in differences(probe["value"], members[probe["path"]], probe["path"])]


def check_run(run, brokers, schemas, timeout, log):
    """Returns (decoded, passed, failed)."""
    topics = {t["name"]: t for t in run["topics"]}
    probe = run.get("unmappedProbe")
    probe_seen = 0
    registry = Registry(run["registryUrl"]) if run["framing"] == "confluent" else None
    expected = {(r["topic"], r["partition"], r["offset"]): r for r in run["records"]}
    seen = set()
    decoded = passed = failed = 0
    for m in consume(brokers, list(topics), timeout):
        where = f"{run['framing']} {m.topic()}/{m.partition()}@{m.offset()}"
        want = expected.get((m.topic(), m.partition(), m.offset()))
        errs = []
        if want is None:
            errs.append("record not in expected.json")
        kind = topics[m.topic()]["kind"]
        schema = schemas[topics[m.topic()]["schema"]]
        key = m.key().decode("utf-8") if m.key() is not None else None
        value = None
        if m.value() is None:
            errs.append("tombstone")
        else:
            try:
                value, derrs = decode(run, schema, registry, m.topic(), m.value())
                errs += derrs
            except Exception as e:  # a decoder error is a failed record
                errs.append(f"decode: {type(e).__name__}: {e}")
        if value is not None:
            decoded += 1
            if key != value.get("caseId"):
                errs.append(f"key {key!r} != value.caseId {value.get('caseId')!r}")
            errs += check_headers(kind, key, m.headers() or [], value, want["headers"] if want else {})
            if want is not None:
                if key != want["key"]:
                    errs.append(f"key {key!r}, want {want['key']!r}")
                errs += differences(want["value"], value)
            if probe and kind == "result" and key == probe["caseId"]:
                probe_seen += 1
                errs += check_probe(probe, value)
        if want is not None:
            seen.add((m.topic(), m.partition(), m.offset()))
        if errs:
            failed += 1
            log(f"FAIL {where} key={key}:")
            for e in errs[:20]:
                log(f"    {e}")
            if len(errs) > 20:
                log(f"    ... {len(errs) - 20} more")
        else:
            passed += 1
    for k in sorted(set(expected) - seen):
        failed += 1
        log(f"FAIL {run['framing']} {k[0]}/{k[1]}@{k[2]}: expected record not read")
    if probe and not probe_seen:
        failed += 1
        log(f"FAIL {run['framing']}: no CaseResult of the unmapped-member probe {probe['caseId']}")
    elif probe:
        log(f"interop: {run['framing']}: unmapped member {probe['path']} read back from unmappedJson "
            f"of {probe_seen} CaseResult record(s)")
    return decoded, passed, failed


def sanity(exp):
    """expected.json must describe real work: an empty file passes nothing."""
    errs = []
    if not exp.get("runs"):
        errs.append("no runs")
    for run in exp.get("runs", []):
        kinds = {t["kind"] for t in run["topics"]}
        if kinds != {"status", "result"}:
            errs.append(f"{run['framing']}: topics {sorted(kinds)}")
        per_kind = {k: sum(1 for r in run["records"] if r["kind"] == k) for k in ("status", "result")}
        if not per_kind["status"] or not per_kind["result"]:
            errs.append(f"{run['framing']}: records per kind {per_kind}")
        keys = {r["key"] for r in run["records"]}
        for c in run.get("cases", []):
            if c["caseId"] not in keys:
                errs.append(f"{run['framing']}: case {c['caseId']} has no records")
        p = run.get("unmappedProbe")
        if not p or not p.get("caseId") or not p.get("path") or "value" not in p:
            errs.append(f"{run['framing']}: no unmappedProbe")
        elif p["caseId"] not in keys:
            errs.append(f"{run['framing']}: unmapped probe {p['caseId']} has no records")
        if run["framing"] == "confluent" and not run.get("registryUrl"):
            errs.append("confluent run without registryUrl")
    return errs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("expected", help="expected.json written by TestInteropExport")
    ap.add_argument("--schemas", default=os.path.join(here, "..", "..", "schemas"), help="directory of the .avsc files")
    ap.add_argument("--brokers", help="bootstrap servers (default: those in expected.json)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to read each run's topics")
    args = ap.parse_args()

    def log(s):
        print(s, flush=True)

    try:
        with open(args.expected, encoding="utf-8") as f:
            exp = json.load(f)
        schemas = {}
        for run in exp.get("runs", []):
            for t in run["topics"]:
                if t["schema"] not in schemas:
                    schemas[t["schema"]] = Schema(os.path.join(args.schemas, t["schema"]))
    except (OSError, ValueError, KeyError) as e:
        log(f"interop: cannot load expected.json or schemas: {e}")
        return 2
    problems = sanity(exp)
    if problems:
        for p in problems:
            log(f"interop: expected.json: {p}")
        log("interop: 0 records decoded, 0 passed, 1 failed")
        return 1
    for s in schemas.values():
        log(f"interop: {s.name}: CRC-64-AVRO {s.fingerprint.hex()} (fastavro {fastavro.__version__})")
    brokers = args.brokers.split(",") if args.brokers else exp["brokers"]
    total = [0, 0, 0]
    for run in exp["runs"]:
        try:
            d, p, f = check_run(run, brokers, schemas, args.timeout, log)
        except Exception as e:  # cannot read the run at all
            log(f"FAIL {run['framing']}: {type(e).__name__}: {e}")
            d, p, f = 0, 0, max(1, len(run["records"]))
        log(f"interop: {run['framing']}: {len(run['records'])} expected, {d} decoded, {p} passed, {f} failed")
        total = [a + b for a, b in zip(total, (d, p, f))]
    want = sum(len(r["records"]) for r in exp["runs"])
    if total[1] < want and total[2] == 0:
        total[2] = want - total[1]  # fewer records than expected is a failure
    log(f"interop: {total[0]} records decoded, {total[1]} passed, {total[2]} failed")
    return 0 if total[2] == 0 and total[1] == want else 1


if __name__ == "__main__":
    sys.exit(main())
