# SPDX-License-Identifier: AGPL-3.0-or-later
"""Scale-out tests through the `vigil` executable: one simulated scenario ingested (MRT, probe rounds,
annotations) and detected into SQLite and into ClickHouse (one server, or a two-shard cluster), then every
read endpoint of `vigil serve` asked the same questions of each store and the answers compared as JSON (only
metadata.requestTime/responseTime and perf may differ; text bodies byte for byte). Entity ids are not part of
any response, so the stores' different id schemes do not show.

  scale_test.py api     --vigil V --source S --work W   SQLite vs one ClickHouse server
  scale_test.py cluster --vigil V --source S --work W   SQLite vs a two-shard cluster (Distributed tables)
  scale_test.py workers --vigil V --source S --work W   `ingest mrt --workers 2` == `--workers 1`
                                                         (SQLite and ClickHouse)
Skips (exit 0 with a message) when clickhouse-server is not installed."""
import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clickhouse_servers  # noqa: E402

# daily-curfew has everything the API can show: events, a curfew schedule, an annotation, two collectors.
SCENARIO = "scenarios/dev/daily-curfew.json"
FROM, UNTIL = 1685577600, 1686441600  # 2023-06-01 .. 2023-06-11 UTC


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def simulate(vigil, source, work):
    out = os.path.join(work, "sim")  # shared by the modes (their ctest entries hold one lock)
    if os.path.exists(out) and os.path.getmtime(out) < os.path.getmtime(vigil):
        shutil.rmtree(out)  # made by an older vigil
    if not os.path.exists(out):
        shutil.rmtree(out + ".tmp", ignore_errors=True)
        run([vigil, "sim", os.path.join(source, SCENARIO), out + ".tmp"])
        os.rename(out + ".tmp", out)
    return out


def pipeline(vigil, sim, store, workers=None, init_args=()):
    """Everything a deployment runs, in order; returns seconds per step."""
    times = {}
    steps = [
        ("init", [vigil, "store", "init", "--store", store, *init_args]),
        ("mrt", [vigil, "ingest", "mrt", "--store", store, "--geo", sim + "/geo", sim + "/mrt",
                 *(["--workers", str(workers)] if workers else [])]),
        ("probe", [vigil, "ingest", "probe", "--store", store, "--geo", sim + "/geo", sim + "/probe"]),
        ("annotations", [vigil, "annotations", "import", "--store", store, sim + "/annotations.json"]),
        ("detect", [vigil, "detect", "--store", store]),
    ]
    for name, args in steps:
        t = time.time()
        run(args)
        times[name] = round(time.time() - t, 2)
    return times


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, vigil, store, source):
        self.port = free_port()
        # ClickHouse keeps no webhooks: the server is given a SQLite file of its own for them.
        self.webhook_dir = tempfile.mkdtemp(prefix="vigil_webhooks_")
        webhooks = ["--webhook-store", os.path.join(self.webhook_dir, "webhooks.db")] if store.startswith(
            "clickhouse://") else []
        # No response cache: every answer comes from the store.
        self.proc = subprocess.Popen([vigil, "serve", "--store", store, *webhooks, "--listen",
                                      "127.0.0.1:%d" % self.port, "--cache-ttl", "0", "--web",
                                      os.path.join(source, "web")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while True:
            try:
                self.get("/healthz")
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("vigil serve --store %s did not start: %s" % (store, self.proc.stderr.read()))
                time.sleep(0.1)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, r.getheader("Content-Type", ""), body

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.webhook_dir, ignore_errors=True)


def q(path, **params):
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def endpoints(events):
    w = dict(**{"from": FROM, "until": UNTIL})
    day = dict(**{"from": FROM + 2 * 86400, "until": FROM + 3 * 86400})
    paths = [
        q("/v2/signals/raw/country/XD", **w),
        q("/v2/signals/raw/region/XD-A", datasource="bgp", **day),
        q("/v2/signals/raw/region/XD-A", datasource="ping-slash24", maxPoints=50, **w),
        q("/v2/signals/raw/asn/64931", maxPoints=100, **w),
        q("/v2/signals/raw/region/XD-B", datasource="loss", maxPoints=7, **w),
        q("/v2/signals/raw/country/ZZ", **w),
        q("/v2/outages/alerts", **w),
        q("/v2/outages/alerts", entityType="region", entityCode="XD-A", datasource="bgp", limit=10, page=1, **w),
        q("/v2/outages/alerts", relatedTo="country/XD", limit=20, **day),
        q("/v2/outages/events", **w),
        q("/v2/outages/events", includeAlerts="true", format="ioda", orderBy="score/desc", **w),
        q("/v2/outages/events", entityType="country", entityCode="XD", overall="true", **w),
        q("/v2/outages/events", relatedTo="country/XD", orderBy="name/asc", limit=3, page=1, **w),
        q("/v2/outages/summary", **w),
        q("/v2/outages/summary", entityType="region", orderBy="score/desc", **day),
        q("/v2/entities/query"),
        q("/v2/entities/query", entityType="region", relatedTo="country/XD"),
        q("/v2/entities/query", search="alp"),
        q("/v2/entities/query", entityType="asn", limit=1, page=1),
        q("/v2/datasources/"),
        q("/v2/datasources/bgp"),
        q("/api/v1/schedules"),
        q("/api/v1/schedules", entity="region/XD-A"),
        q("/api/v1/annotations"),
        q("/api/v1/annotations", entity="region/XD-A", **day),
        q("/api/v1/export", entity="region/XD-A", **day),
        q("/api/v1/export", entity="asn/64932", datasource="rtt-p50", format="csv", **w),
        q("/api/v1/status", **w),
        q("/api/v1/status", entityType="region", **day),
        q("/api/v1/status", relatedTo="country/XD", **w),
        q("/api/v1/feed.atom", **w),
        q("/api/v1/events/999999"),
    ]
    for e in events:
        paths.append("/api/v1/events/%d" % e)
        for ext in ("json", "md", "csv", "html"):
            paths.append("/api/v1/events/%d/report.%s" % (e, ext))
    return paths


def normalise(content_type, body):
    if "json" not in content_type:
        return body
    doc = json.loads(body)
    if isinstance(doc, dict):
        doc.pop("perf", None)
        if isinstance(doc.get("metadata"), dict):
            doc["metadata"].pop("requestTime", None)
            doc["metadata"].pop("responseTime", None)
        # An evidence report's own wall-clock stamp (the report.json counterpart of requestTime).
        if isinstance(doc.get("report"), dict):
            doc["report"].pop("generated_at", None)
    return doc


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return path or "/"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return path + "/" + k
            d = first_difference(a[k], b[k], path + "/" + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return path + " (length %d vs %d)" % (len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s/%d" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s (%r vs %r)" % (path, a, b)


def compare_stores(vigil, source, stores):
    """stores: {label: uri}; the first is the reference. Returns the number of endpoints compared."""
    servers = {label: Server(vigil, uri, source) for label, uri in stores.items()}
    try:
        labels = list(stores)
        ref = servers[labels[0]]
        status, ctype, body = ref.get(q("/v2/outages/events", **{"from": FROM, "until": UNTIL}))
        events = [e["id"] for e in json.loads(body)["data"]]
        if not events:
            raise RuntimeError("the scenario produced no events: nothing to compare them by")
        paths = endpoints(events)
        failures = []
        for path in paths:
            answers = {label: servers[label].get(path) for label in labels}
            s0, t0, b0 = answers[labels[0]]
            for label in labels[1:]:
                s1, t1, b1 = answers[label]
                n0, n1 = normalise(t0, b0), normalise(t1, b1)
                if (s0, t0) != (s1, t1) or n0 != n1:
                    where = first_difference(n0, n1) if "json" in t0 and "json" in t1 else "body"
                    failures.append("%s: %s differs from %s at %s\n  %s: %d %s %s\n  %s: %d %s %s" % (
                        path, label, labels[0], where, labels[0], s0, t0, b0[:300], label, s1, t1, b1[:300]))
            if s0 != 200 and not path.endswith("999999") and "ZZ" not in path:
                failures.append("%s: status %d from %s: %s" % (path, s0, labels[0], b0[:300]))
        if failures:
            raise RuntimeError("%d of %d endpoints differ:\n%s" % (len(failures), len(paths), "\n".join(failures)))
        return len(paths)
    finally:
        for s in servers.values():
            s.stop()


def series_dump(vigil, store, entities):
    out = []
    for e in entities:
        out.append(run([vigil, "series", "--store", store, "--entity", e, "--datasource", "bgp", "--from",
                        str(FROM), "--until", str(UNTIL), "--csv"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["api", "cluster", "workers"])
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    if not clickhouse_servers.server_binary():
        print("SKIP: clickhouse-server is not installed (apt-get install clickhouse-server)")
        return 0
    work = os.path.join(a.work, a.mode)
    os.makedirs(work, exist_ok=True)
    sim = simulate(a.vigil, a.source, a.work)
    t0 = time.time()
    with clickhouse_servers.Servers(os.path.join(work, "servers"), 2 if a.mode == "cluster" else 1,
                                    cluster="vigil" if a.mode == "cluster" else None) as ch:
        print("clickhouse up in %.1f s" % (time.time() - t0))
        lite = os.path.join(work, "lite.db")
        if os.path.exists(lite):
            os.remove(lite)
        if a.mode == "api":
            stores = {"sqlite": lite, "clickhouse": ch.uri("vigil")}
            for label, uri in stores.items():
                print(label, pipeline(a.vigil, sim, uri), flush=True)
            n = compare_stores(a.vigil, a.source, stores)
            print("OK: %d endpoints answer the same from SQLite and ClickHouse" % n)
        elif a.mode == "cluster":
            # Two shards; the store talks to the first, and is given both for creating the tables.
            uri = ch.uri("vigil", [0, 1])
            print("sqlite", pipeline(a.vigil, sim, lite), flush=True)
            print("cluster", pipeline(a.vigil, sim, uri, init_args=["--cluster", "vigil"]), flush=True)
            per_shard = [int(ch.query("SELECT count() FROM vigil.series_local", server=i)) for i in (0, 1)]
            print("series rows per shard:", per_shard)
            if min(per_shard) == 0:
                raise RuntimeError("a shard holds no series rows: the data is not spread: %s" % per_shard)
            # Through either shard the same answers.
            stores = {"sqlite": lite, "cluster-shard1": ch.uri("vigil", [0]), "cluster-shard2": ch.uri("vigil", [1])}
            n = compare_stores(a.vigil, a.source, stores)
            print("OK: %d endpoints answer the same from SQLite and the two-shard cluster (through either shard)" % n)
        else:
            entities = ["country/XD", "region/XD-A", "region/XD-B", "asn/64931", "asn/64932"]
            results = {}
            for label, uri, workers in [("sqlite-w1", lite, 1), ("sqlite-w2", lite + "2", 2),
                                        ("clickhouse-w2", ch.uri("vigil_w2"), 2)]:
                if uri.endswith(".db2") and os.path.exists(uri):
                    os.remove(uri)
                run([a.vigil, "store", "init", "--store", uri])
                t = time.time()
                run([a.vigil, "ingest", "mrt", "--store", uri, "--geo", sim + "/geo", sim + "/mrt",
                     "--workers", str(workers)])
                results[label] = series_dump(a.vigil, uri, entities)
                print(label, "ingest %.1f s" % (time.time() - t), flush=True)
            for label in results:
                if results[label] != results["sqlite-w1"]:
                    raise RuntimeError("%s series differ from sqlite-w1" % label)
            print("OK: --workers 2 gives the same bgp series as --workers 1 (SQLite and ClickHouse)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print("FAIL:", e)
        sys.exit(1)
