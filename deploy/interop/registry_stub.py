#!/usr/bin/env python3
"""A stand-in for a Confluent Schema Registry, for the interop check only.

No Confluent-compatible registry can be installed from the package
registries this project may use (Karapace is not on PyPI; Apicurio's app on
Maven Central needs artifacts that are not there, and Confluent's own
registry is not on Maven Central). So that the Confluent wire format is
still exercised end to end - the connector's registry client registering
over HTTP, records framed as magic 0 + schema id on a real broker, and
confluent-kafka's SchemaRegistryClient and AvroDeserializer reading them -
this serves the subset of the documented REST API
(https://docs.confluent.io/platform/current/schema-registry/develop/api.html)
that serializers and deserializers use, in memory:

  POST /subjects/{subject}/versions   register; the same schema again
                                      returns its id; ids are global
  POST /subjects/{subject}            look a schema up under a subject
  GET  /schemas/ids/{id}              the schema of an id
  GET  /subjects/{subject}/versions/{version|latest}
  GET  /subjects/{subject}/versions
  GET  /subjects

Errors use the documented bodies ({"error_code": 40401, "message": ...}).
It is not a registry: no compatibility checks, no persistence, no auth.
Point INTEROP_REGISTRY_URL at a real one (Karapace, Confluent, Apicurio's
/apis/ccompat/v7) to check against it instead.
"""

import argparse
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fastavro

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_id = {}       # id -> schema text as registered
        self.by_key = {}      # normalised schema -> id
        self.subjects = {}    # subject -> [id, ...] (version n is index n-1)

    @staticmethod
    def key(schema):
        # The identity of a schema: its JSON, normalised (Confluent compares
        # parsed schemas; whitespace and key order do not matter).
        return json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))

    def register(self, subject, schema):
        k = self.key(schema)
        with self.lock:
            sid = self.by_key.get(k)
            if sid is None:
                sid = len(self.by_id) + 1
                self.by_id[sid] = schema
                self.by_key[k] = sid
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid

    def lookup(self, subject, schema):
        k = self.key(schema)
        with self.lock:
            sid = self.by_key.get(k)
            versions = self.subjects.get(subject)
            if versions is None:
                return None, 40401
            if sid is None or sid not in versions:
                return None, 40403
            return {"subject": subject, "id": sid, "version": versions.index(sid) + 1, "schema": self.by_id[sid]}, 0

    def version(self, subject, version):
        with self.lock:
            versions = self.subjects.get(subject)
            if not versions:
                return None, 40401
            if version == "latest":
                n = len(versions)
            elif version.isdigit() and 1 <= int(version) <= len(versions):
                n = int(version)
            else:
                return None, 40402
            sid = versions[n - 1]
            return {"subject": subject, "id": sid, "version": n, "schema": self.by_id[sid]}, 0


MESSAGES = {
    40401: "Subject not found.",
    40402: "Version not found.",
    40403: "Schema not found.",
    42201: "Invalid schema",
    404: "HTTP 404 Not Found",
}


class Handler(BaseHTTPRequestHandler):
    store = Store()
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; run.sh keeps stderr
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, detail=""):
        status = 422 if code == 42201 else 404
        self.send(status, {"error_code": code, "message": (MESSAGES.get(code, "error") + (" " + detail if detail else "")).strip()})

    def parts(self):
        path = urllib.parse.urlsplit(self.path).path
        return [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]

    def body_schema(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None, "request body is not JSON"
        if (req.get("schemaType") or "AVRO").upper() != "AVRO":
            return None, "only AVRO is served"
        schema = req.get("schema")
        if not isinstance(schema, str):
            return None, "no schema"
        try:
            fastavro.parse_schema(json.loads(schema))
        except Exception as e:  # any parse failure is an invalid schema
            return None, f"{type(e).__name__}: {e}"
        return schema, None

    def do_GET(self):
        p = self.parts()
        if p == ["subjects"]:
            with self.store.lock:
                subjects = sorted(self.store.subjects)
            return self.send(200, subjects)
        if len(p) == 3 and p[:2] == ["schemas", "ids"] and p[2].isdigit():
            with self.store.lock:
                s = self.store.by_id.get(int(p[2]))
            if s is None:
                return self.error(40403)
            # Confluent leaves schemaType out for Avro.
            return self.send(200, {"schema": s})
        if len(p) == 3 and p[0] == "subjects" and p[2] == "versions":
            with self.store.lock:
                versions = self.store.subjects.get(p[1])
            if versions is None:
                return self.error(40401)
            return self.send(200, list(range(1, len(versions) + 1)))
        if len(p) == 4 and p[0] == "subjects" and p[2] == "versions":
            body, code = self.store.version(p[1], p[3])
            return self.send(200, body) if body else self.error(code)
        return self.error(404)

    def do_POST(self):
        p = self.parts()
        if len(p) in (2, 3) and p[0] == "subjects" and (len(p) == 2 or p[2] == "versions"):
            schema, err = self.body_schema()
            if err:
                return self.error(42201, err)
            if len(p) == 3:
                return self.send(200, {"id": self.store.register(p[1], schema)})
            body, code = self.store.lookup(p[1], schema)
            return self.send(200, body) if body else self.error(code)
        return self.error(404)


def main():
    ap = argparse.ArgumentParser(description="Confluent Schema Registry REST subset, in memory (interop check only)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--url-file", help="write the base URL here once listening")
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    url = f"http://{args.host}:{srv.server_address[1]}"
    if args.url_file:
        with open(args.url_file + ".tmp", "w") as f:
            f.write(url + "\n")
        os.replace(args.url_file + ".tmp", args.url_file)
    print(f"registry-stub: listening on {url}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
