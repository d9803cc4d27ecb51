"""HTTPS/1.1 and HTTP/2 throughput of ``GET /static``: apidouble against nginx with TLS,
both with the same self-signed certificate, measured in the same run.

.venv/bin/python bench/tls_bench.py [--seconds 3] [--rounds 2] [--connections 50]

Both servers run one process on 127.0.0.1 and serve a plain HTTP port (to know they
are up) and a TLS port with ALPN ``h2`` and ``http/1.1``. The certificate (an EC P-256
key, ``localhost`` and ``127.0.0.1``) is made with ``cryptography`` in the run's temp
folder, never trusted by anything. Clients: wrk for HTTPS/1.1 (one thread, keep-alive)
and h2load (Debian's ``nghttp2-client``) for HTTP/2, ``--connections`` connections and
``--streams`` streams in flight on each (a short h2load run first warms the server up
and sizes ``-n`` to last about ``--seconds``); a client that is not installed makes its
row "n/a". Rounds interleave the servers and protocols (nginx h1, apidouble h1, nginx h2,
apidouble h2, then again), each after the server settles; the table shows the medians
and apidouble's share of nginx. apidouble runs as the CLI does (uvloop, journal on).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import peers
import stubsets

PROTOCOLS = ("HTTPS/1.1", "HTTP/2")
SERVERS = ("nginx", "apidouble")
_WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")
_H2_RATE = re.compile(r"finished in [\d.]+\w*, ([\d.]+) req/s")
_H2_DONE = re.compile(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed")


def write_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` and 127.0.0.1, and its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "bench-cert.pem", folder / "bench-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_tls_conf(port: int, tls_port: int, folder: Path, cert: Path, key: Path) -> str:
    """``stubsets.nginx_conf``'s server (one worker, ``return 200``), with a TLS port
        that offers HTTP/2 (nginx 1.22's ``listen ... ssl http2``), and no cap on the requests
    of one connection (nginx's 1,000 would end h2load's connections mid-run)."""
    body = stubsets.STATIC_BYTES.replace("'", "\\'")
    return f"""worker_processes 1;
daemon off;
master_process off;
error_log {folder}/nginx-error.log;
pid {folder}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path {folder}/nginx-body;
  ssl_certificate {cert};
  ssl_certificate_key {key};
  ssl_protocols TLSv1.2 TLSv1.3;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    listen 127.0.0.1:{tls_port} ssl http2 backlog=4096;
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
"""


def make_servers(folder: Path, cert: Path, key: Path) -> dict[str, tuple[peers.Server, int]]:
    """Both servers, each with the TLS port it serves."""
    made: dict[str, tuple[peers.Server, int]] = {}
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    port, tls_port = peers.free_port(), peers.free_port()
    label = "nginx 1 worker, return 200"
    if nginx is None:
        made["nginx"] = (peers.Server("nginx", label, frozenset(), reason="not installed"), 0)
    else:
        conf = folder / "nginx-tls.conf"
        conf.write_text(nginx_tls_conf(port, tls_port, folder, cert, key))
        command = [nginx, "-c", str(conf), "-p", str(folder), "-e", str(folder / "nginx-error.log")]
        made["nginx"] = (peers.Server("nginx", label, frozenset(), command, port), tls_port)
    config = folder / "apidouble-tls.json"
    static = {"name": "static", "path": "/static", "response": stubsets.STATIC_BODY}
    config.write_text(json.dumps({"endpoints": [static]}))
    port, tls_port = peers.free_port(), peers.free_port()
    command = [sys.executable, "-m", "apidouble", "run", str(config), "--port", str(port)]
    command += ["--https-port", str(tls_port), "--tls-cert", str(cert), "--tls-key", str(key)]
    command += ["--no-watch", "--log-level", "warning"]
    server = peers.Server("apidouble", "apidouble, journal on", frozenset(), command, port)
    made["apidouble"] = (server, tls_port)
    return made


def _run(command: list[str], seconds: float) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    return done.stdout + done.stderr


def measure(protocol: str, port: int, seconds: float, connections: int, streams: int) -> float:
    """Requests per second; raises ``RuntimeError`` when any request failed."""
    url = f"https://127.0.0.1:{port}/static"
    if protocol == "HTTPS/1.1":
        out = _run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", url], seconds)
        rate, bad = _WRK_RATE.search(out), _WRK_BAD.search(out)
        if rate is None or bad is not None:
            raise RuntimeError(f"wrk: {out.strip()[-300:]}")
        return float(rate[1])
    warm = _h2load(url, 50 * connections, connections, streams, seconds)  # sizes the run
    return _h2load(url, max(1000, int(warm * seconds)), connections, streams, seconds)


def _h2load(url: str, requests: int, connections: int, streams: int, seconds: float) -> float:
    """h2load's rate for ``requests`` requests (its ``-D`` mode counts none in 1.52)."""
    command = ["h2load", "-n", str(requests), "-c", str(connections), "-m", str(streams), url]
    out = _run(command, seconds * 2)
    rate, done = _H2_RATE.search(out), _H2_DONE.search(out)
    if rate is None or done is None or int(done[2]) or "Application protocol: h2" not in out:
        raise RuntimeError(f"h2load: {out.strip()[-300:]}")
    return float(rate[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--streams", type=int, default=10, help="HTTP/2 streams per connection")
    args = parser.parse_args()
    clients = {"HTTPS/1.1": shutil.which("wrk"), "HTTP/2": shutil.which("h2load")}
    rates: dict[tuple[str, str], list[float]] = {}
    notes: dict[tuple[str, str], str] = {}
    with tempfile.TemporaryDirectory(prefix="apidouble-tls-bench-") as tmp:
        folder = Path(tmp)
        cert, key = write_certificate(folder)
        servers = make_servers(folder, cert, key)
        try:
            for server, _ in servers.values():
                server.start(folder)
            for server, _ in servers.values():
                server.wait_ready()
            for _ in range(args.rounds):
                for protocol in PROTOCOLS:
                    for name in SERVERS:
                        server, tls_port = servers[name]
                        cell = (protocol, name)
                        if server.reason is not None or clients[protocol] is None:
                            notes[cell] = server.reason or "client not installed"
                            continue
                        server.settle()
                        try:
                            rate = measure(
                                protocol, tls_port, args.seconds, args.connections, args.streams
                            )
                        except (RuntimeError, subprocess.TimeoutExpired) as exc:
                            notes[cell] = str(exc)
                            continue
                        rates.setdefault(cell, []).append(rate)
        finally:
            for server, _ in servers.values():
                server.stop()
    print(table(rates, notes, args))
    return 0


def table(
    rates: dict[tuple[str, str], list[float]],
    notes: dict[tuple[str, str], str],
    args: argparse.Namespace,
) -> str:
    head = (
        f"GET /static over TLS, {args.connections} connections"
        f" (HTTP/2: {args.streams} streams each), {args.rounds} x {args.seconds:g} s,"
        " median req/s"
    )
    lines = [head, "", "| protocol | nginx | apidouble | apidouble / nginx |", "|---|---|---|---|"]
    for protocol in PROTOCOLS:
        medians = {
            n: statistics.median(rates[(protocol, n)]) for n in SERVERS if (protocol, n) in rates
        }
        cells = [
            f"{medians[n]:,.0f}" if n in medians else f"n/a ({notes.get((protocol, n), '?')})"
            for n in SERVERS
        ]
        share = (
            f"{medians['apidouble'] / medians['nginx']:.2f}x"
            if len(medians) == 2 and medians["nginx"]
            else "n/a"
        )
        lines.append(f"| {protocol} | {cells[0]} | {cells[1]} | {share} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
