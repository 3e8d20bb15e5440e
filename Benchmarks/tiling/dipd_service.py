"""A dipd service started for a benchmark, and the image helpers the tiling benchmarks share."""
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
from PIL import Image


class Service:
    """A dipd on loopback with its own data directory and settings."""

    def __init__(self, dipd, env):
        self.dir = tempfile.mkdtemp(prefix="dipd-tiling-")
        port_file = os.path.join(self.dir, "port")
        full = {k: v for k, v in os.environ.items() if not k.startswith("DIPD_")}
        full.update(env)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.process = subprocess.Popen([dipd, "--host", "127.0.0.1", "--port", "0", "--data-dir", os.path.join(self.dir, "data"),
                                         "--print-port-file", port_file], env=full, stdout=self.log, stderr=self.log)
        for _ in range(500):
            if os.path.exists(port_file) and open(port_file).read().strip():
                self.base = f"http://127.0.0.1:{int(open(port_file).read())}"
                return
            time.sleep(0.02)
        sys.exit(f"dipd did not start: {open(os.path.join(self.dir, 'log')).read()}")

    def submit(self, png, fields):
        boundary = "dipdbenchmark"
        body = io.BytesIO()
        for k, v in fields.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="i.png"\r\nContent-Type: image/png\r\n\r\n'.encode())
        body.write(png + f"\r\n--{boundary}--\r\n".encode())
        req = urllib.request.Request(self.base + "/v1/jobs", data=body.getvalue(), method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(req) as r:
            return json.load(r)["id"]

    def get(self, path):
        with urllib.request.urlopen(self.base + path) as r:
            return r.read()

    def wait(self, job):
        while True:
            j = json.loads(self.get(f"/v1/jobs/{job}"))
            if j["state"] in ("succeeded", "failed", "canceled"):
                return j
            time.sleep(1)

    def peak_rss_mb(self):
        for line in open(f"/proc/{self.process.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def png_bytes(a):
    out = io.BytesIO()
    Image.fromarray(a).save(out, format="PNG")
    return out.getvalue()


def noisy(clean, sigma, seed):
    rng = np.random.default_rng(seed)
    return np.clip(np.round(clean.astype(np.float64) + rng.normal(0, sigma, clean.shape)), 0, 255).astype(np.uint8)


class Postgres:
    """A throw-away PostgreSQL 15 cluster on loopback (as the `postgres` user when run as root:
    initdb refuses root), as the tests start one; scripts/setup installs the server."""
    bin = "/usr/lib/postgresql/15/bin"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dipd-bench-pg-")
        os.chmod(self.dir, 0o777)
        as_postgres = ["/usr/sbin/runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        # setpriv execs the server, so that the process stopped below is the server itself.
        become = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if os.getuid() == 0 else []
        cluster = os.path.join(self.dir, "cluster")
        subprocess.run(as_postgres + [self.bin + "/initdb", "-D", cluster, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                       check=True, stdout=subprocess.DEVNULL)
        with socket_port() as port:
            self.port = port
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen(become + [self.bin + "/postgres", "-D", cluster, "-p", str(self.port), "-k", self.dir,
                                                       "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                                        stdout=self.log, stderr=self.log)
        for _ in range(300):
            if subprocess.run([self.bin + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)]).returncode == 0:
                return
            time.sleep(0.1)
        sys.exit("PostgreSQL did not start")

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class socket_port:
    """A free loopback port."""
    def __enter__(self):
        import socket
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc):
        self.s.close()
