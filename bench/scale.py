# SPDX-License-Identifier: AGPL-3.0-or-later
"""Scale benchmark (bench/scale.sh): SQLite vs ClickHouse (one server) vs ClickHouse (two shards on this
machine), in one run on the same generated data:
  1. ingest throughput: a simulated scenario's MRT files (`ingest mrt`, also with --workers 2) and probe rounds;
  2. /v2/signals/raw latency through `vigil serve --cache-ttl 0`;
  3. /v2/outages/summary over one year for 10,000 entities (bench/store/scale_fixture writes the events).
Figures are printed with their ratio to SQLite's. Env: SCALE_BENCH_SCENARIO (scenarios/dev/single-region.json),
SCALE_BENCH_ENTITIES (10000), SCALE_BENCH_EVENTS (5 per entity), SCALE_BENCH_REQUESTS (20)."""
import calendar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "scale"))
import clickhouse_servers  # noqa: E402
import scale_test  # noqa: E402

YEAR = 1672531200  # 2023-01-01


def timed(args):
    t = time.time()
    out = scale_test.run(args)
    return time.time() - t, out


def latency(server, path, n):
    times = []
    for _ in range(n):
        t = time.time()
        status, _, body = server.get(path)
        times.append((time.time() - t) * 1000)
        if status != 200:
            raise RuntimeError("%s: %d %s" % (path, status, body[:200]))
    return statistics.median(times), sorted(times)[int(0.9 * (len(times) - 1))], len(body)


def store_size(label, store, one, two):
    """(bytes on disk, series rows) of the `vigil` database."""
    if label == "sqlite":
        size = sum(os.path.getsize(store + ext) for ext in ("", "-wal") if os.path.exists(store + ext))
        rows = int(scale_test.run(["sqlite3", store, "SELECT count(*) FROM series"]).strip())
        return size, rows
    servers = [(one, 0)] if label == "clickhouse-1" else [(two, 0), (two, 1)]
    size = rows = 0
    for ch, i in servers:
        ch.query("OPTIMIZE TABLE vigil.%s FINAL" % ("series" if label == "clickhouse-1" else "series_local"), i)
        out = ch.query("SELECT sum(bytes), sumIf(rows, table LIKE 'series%%') FROM system.parts "
                       "WHERE active AND database = 'vigil'", i).split()
        size += int(out[0])
        rows += int(out[1])
    return size, rows


def main():
    vigil = os.environ.get("VIGIL") or os.path.join(SOURCE, "build", "vigil")
    fixture = os.path.join(os.path.dirname(vigil), "bench", "scale_fixture")
    if not clickhouse_servers.server_binary():
        print("scale bench skipped: clickhouse-server is not installed")
        return 0
    scenario = os.environ.get("SCALE_BENCH_SCENARIO", os.path.join(SOURCE, "scenarios", "single-region.json"))
    entities = int(os.environ.get("SCALE_BENCH_ENTITIES", "10000"))
    per_entity = int(os.environ.get("SCALE_BENCH_EVENTS", "5"))
    requests = int(os.environ.get("SCALE_BENCH_REQUESTS", "20"))
    work = tempfile.mkdtemp(prefix="vigil-scale-bench.")
    sim = os.path.join(work, "sim")
    scale_test.run([vigil, "sim", scenario, sim])
    cfg = json.load(open(os.path.join(sim, "sim-config.json")))
    mrt_files = sum(len(fs) for _, _, fs in os.walk(os.path.join(sim, "mrt")))
    rounds = len(os.listdir(os.path.join(sim, "probe")))
    first = calendar.timegm(time.strptime(cfg["start"], "%Y-%m-%dT%H:%M:%SZ"))
    last = calendar.timegm(time.strptime(cfg["end"], "%Y-%m-%dT%H:%M:%SZ"))
    country = json.load(open(scenario))["countries"][0]["code"]
    print("data: %s, %d MRT files, %d probe rounds; summary: %d entities x %d events over 2023" % (
        cfg["scenario"], mrt_files, rounds, entities, per_entity))
    one = clickhouse_servers.Servers(os.path.join(work, "ch1"), 1).start()
    two = clickhouse_servers.Servers(os.path.join(work, "ch2"), 2, cluster="vigil").start()
    backends = [
        ("sqlite", lambda db: os.path.join(work, db + ".db"), []),
        ("clickhouse-1", lambda db: one.uri(db), []),
        ("clickhouse-2shards", lambda db: two.uri(db, [0, 1]), ["--cluster", "vigil"]),
    ]
    rows = {}
    try:
        for label, uri, init in backends:
            r = rows[label] = {}
            store = uri("vigil")
            scale_test.run([vigil, "store", "init", "--store", store, *init])
            r["mrt"], _ = timed([vigil, "ingest", "mrt", "--store", store, "--geo", sim + "/geo", sim + "/mrt"])
            r["probe"], _ = timed([vigil, "ingest", "probe", "--store", store, "--geo", sim + "/geo", sim + "/probe"])
            r["detect"], _ = timed([vigil, "detect", "--store", store])
            r["size"], r["series_rows"] = store_size(label, store, one, two)
            w2 = uri("vigil_w2")
            scale_test.run([vigil, "store", "init", "--store", w2, *init])
            r["mrt_w2"], _ = timed([vigil, "ingest", "mrt", "--store", w2, "--geo", sim + "/geo", sim + "/mrt",
                                    "--workers", "2"])
            summary = uri("summary")
            scale_test.run([vigil, "store", "init", "--store", summary, *init])
            r["fixture"] = float(scale_test.run([fixture, summary, str(entities), str(per_entity), str(YEAR)]))
            server = scale_test.Server(vigil, store, SOURCE)
            try:
                r["raw"] = latency(server, "/v2/signals/raw/country/%s?from=%d&until=%d" % (country, first, last),
                                   requests)
                r["raw_day"] = latency(server, "/v2/signals/raw/country/%s?datasource=bgp&from=%d&until=%d" % (
                    country, first + 86400, first + 2 * 86400), requests)
            finally:
                server.stop()
            server = scale_test.Server(vigil, summary, SOURCE)
            try:
                r["summary"] = latency(server, "/v2/outages/summary?from=%d&until=%d" % (YEAR, YEAR + 365 * 86400),
                                       max(3, requests // 4))
                r["summary_region"] = latency(
                    server, "/v2/outages/summary?entityType=region&limit=100&from=%d&until=%d" % (
                        YEAR, YEAR + 365 * 86400), max(3, requests // 4))
            finally:
                server.stop()
            print("  %s done" % label, flush=True)
    finally:
        one.stop()
        two.stop()
        subprocess.run(["rm", "-rf", work])

    base = rows["sqlite"]
    print("\n%-44s %12s %20s %20s" % ("", "sqlite", "clickhouse 1 server", "clickhouse 2 shards"))

    def line(name, key, fmt, scale=lambda v: v, higher_better=False):
        cells = []
        for label, _, _ in backends:
            v = scale(rows[label][key])
            b = scale(base[key])
            ratio = (v / b if higher_better else b / v) if v and b else float("nan")
            cells.append(fmt % v + ("" if label == "sqlite" else " (%.2fx)" % ratio))
        print("%-44s %12s %20s %20s" % (name, *cells))

    line("ingest mrt, files/s", "mrt", "%.0f", lambda t: mrt_files / t, True)
    line("ingest mrt --workers 2, files/s", "mrt_w2", "%.0f", lambda t: mrt_files / t, True)
    line("ingest probe, rounds/s", "probe", "%.0f", lambda t: rounds / t, True)
    line("detect, s", "detect", "%.2f")
    line("store on disk, MB", "size", "%.1f", lambda v: v / 1e6)
    line("store bytes per series row", "size", "%.1f", lambda v: v / max(1, base["series_rows"]))
    line("/v2/signals/raw %d days, median ms" % ((last - first) // 86400), "raw", "%.1f", lambda v: v[0])
    line("/v2/signals/raw %d days, p90 ms" % ((last - first) // 86400), "raw", "%.1f", lambda v: v[1])
    line("/v2/signals/raw 1 day bgp, median ms", "raw_day", "%.1f", lambda v: v[0])
    line("write %d entities + %d events, s" % (entities, entities * per_entity), "fixture", "%.2f")
    line("/v2/outages/summary 1 year, median ms", "summary", "%.0f", lambda v: v[0])
    line("/v2/outages/summary 1 year regions, median ms", "summary_region", "%.0f", lambda v: v[0])
    print("(ratios: speed relative to SQLite, > 1 = faster; 2 shards run on the same 2 cores as everything else)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
