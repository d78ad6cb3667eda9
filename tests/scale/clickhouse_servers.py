# SPDX-License-Identifier: AGPL-3.0-or-later
"""Private clickhouse-server processes for tests and benchmarks: each in its own folder under a work
directory, on free loopback ports, optionally joined into one cluster (a `remote_servers` entry listing every
server as one shard). Used by the scale tests and bench/scale.sh; `python3 clickhouse_servers.py DIR N` starts
N servers, prints their store URIs and waits (Ctrl-C stops them)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def server_binary():
    for path in ("/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"):
        if os.path.exists(path):
            return path
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Servers:
    """N servers; with cluster=NAME each server's config lists all N as the shards of cluster NAME."""

    def __init__(self, work, count=1, cluster=None):
        self.work = work
        self.count = count
        self.cluster = cluster
        self.procs = []
        self.http_ports = []
        self.tcp_ports = []

    def start(self):
        binary = server_binary()
        if not binary:
            raise RuntimeError("clickhouse-server is not installed (apt-get install clickhouse-server)")
        self.http_ports = [free_port() for _ in range(self.count)]
        self.tcp_ports = [free_port() for _ in range(self.count)]
        remote = ""
        if self.cluster:
            shards = "".join(
                "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>" % p for p in self.tcp_ports)
            remote = "  <remote_servers><%s>%s</%s></remote_servers>\n" % (self.cluster, shards, self.cluster)
        for i in range(self.count):
            d = os.path.join(self.work, "ch%d" % i)
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(os.path.join(d, "data"))
            with open(os.path.join(d, "config.xml"), "w") as f:
                f.write(
                    '<?xml version="1.0"?>\n<yandex>\n'
                    "  <logger><level>warning</level><log>%s/server.log</log><errorlog>%s/error.log</errorlog>"
                    "<console>0</console></logger>\n"
                    "  <http_port>%d</http_port>\n  <tcp_port>%d</tcp_port>\n  <listen_host>127.0.0.1</listen_host>\n"
                    "  <path>%s/data/</path>\n  <tmp_path>%s/tmp/</tmp_path>\n"
                    "  <format_schema_path>%s/schemas/</format_schema_path>\n"
                    "  <users_config>users.xml</users_config>\n  <default_profile>default</default_profile>\n"
                    "  <default_database>default</default_database>\n  <mark_cache_size>67108864</mark_cache_size>\n"
                    "%s</yandex>\n" % (d, d, self.http_ports[i], self.tcp_ports[i], d, d, d, remote))
            with open(os.path.join(d, "users.xml"), "w") as f:
                f.write(
                    '<?xml version="1.0"?>\n<yandex>\n  <profiles><default><max_memory_usage>2000000000'
                    "</max_memory_usage></default></profiles>\n  <users><default><password></password><networks>"
                    "<ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>"
                    "</users>\n  <quotas><default></default></quotas>\n</yandex>\n")
            self.procs.append(subprocess.Popen(
                [binary, "--config-file=" + os.path.join(d, "config.xml")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d))
        deadline = time.time() + 90
        for i, port in enumerate(self.http_ports):
            while True:
                if self.procs[i].poll() is not None:
                    raise RuntimeError("clickhouse-server exited; see %s/ch%d/error.log" % (self.work, i))
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/ping" % port, timeout=2) as r:
                        if r.read().startswith(b"Ok"):
                            break
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                if time.time() > deadline:
                    raise RuntimeError("clickhouse-server did not answer on port %d" % port)
                time.sleep(0.1)
        return self

    def query(self, sql, server=0):
        req = urllib.request.Request("http://127.0.0.1:%d/" % self.http_ports[server], data=sql.encode())
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.read().decode()

    def uri(self, db, servers=None):
        """clickhouse://host:port[,host:port...]/db; servers = indexes to list (default: the first only)."""
        servers = servers if servers is not None else [0]
        return "clickhouse://" + ",".join("127.0.0.1:%d" % self.http_ports[i] for i in servers) + "/" + db

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    work, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with Servers(work, n, cluster="vigil" if n > 1 else None) as s:
        print(s.uri("vigil", list(range(n))), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
