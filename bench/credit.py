"""Credit check throughput and latency: sandbox bureau, and a loopback mutual-TLS stub bureau
that answers after 50 ms. Reports the hub's overhead over the bureau's own latency.

    python bench/credit.py [--n 200]

Runs in-process (Flask test client, SQLite in a temp dir) so it measures the hub, not a
network stack; the stub bureau is a real TLS server on 127.0.0.1 requiring a client cert.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import secrets
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dealerhub import migrate  # noqa: E402
from dealerhub.app import create_app  # noqa: E402
from dealerhub.config import Environment, Secret, Settings  # noqa: E402
from dealerhub.connectors.credit import tls  # noqa: E402
from tests.configuration.pki import client_p12, shared_ca, write_server_files  # noqa: E402
from tests.conftest import make_dealer  # noqa: E402
from tests.credit.conftest import applicant  # noqa: E402

LATENCY = 0.050
FIXTURE = (ROOT / "tests/credit/fixtures/transunion_hit.xml").read_bytes()


class StubBureau(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real bureau front end
    disable_nagle_algorithm = True  # no 40 ms Nagle + delayed-ACK stalls on small writes
    wbufsize = 65536  # headers and body leave in one write

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(LATENCY)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(FIXTURE)))
        self.end_headers()
        self.wfile.write(FIXTURE)

    def log_message(self, *_a):
        pass


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def run(label, fn, n):
    fn(0)  # warm-up (first TLS handshake, first SQL compile)
    times = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        fn(i + 1)
        times.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - start
    p50, p99 = statistics.median(times), pct(times, 99)
    print(f"{label:<34} {n / wall:8.1f}/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    return p50


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    tmp = Path(tempfile.mkdtemp(prefix="bench-credit-"))
    ca = shared_ca()
    cert, key = write_server_files(tmp, ca)
    ca_file = tmp / "ca.pem"
    ca_file.write_bytes(ca.pem())
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'b.sqlite3'}",
        broker_url=f"filesystem://{tmp / 'broker'}",
        secret_key=Secret(secrets.token_urlsafe(32)),
        encryption_keys=(Secret(Fernet.generate_key().decode()),),
        certs_dir=tmp / "certs",
        log_level="WARNING",
        tasks_eager=True,
        extra={"TRANSUNION_CA_BUNDLE": str(ca_file)},
    )
    migrate.upgrade(settings)
    app = create_app(settings)
    client = app.test_client()
    dealer = make_dealer(app)

    def post(key, body):
        r = client.post("/credit/check", json=body, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.get_data(as_text=True)

    run("sandbox bureau", lambda i: post(dealer.secret_key, applicant(force=True)), n)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca_file)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubBureau)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"

    p12 = client_p12("pw")
    tree = {
        "credit_application": {
            "transunion": {
                "api_url": url,
                "system_id": "S",
                "system_password": "p",
                "subscriber_code": "1",
                "subscriber_prefix": "2",
                "subscriber_password": "p",
                "industry_code": "F",
                "environment": "standardTest",
                "certificate_file": base64.b64encode(p12).decode(),
                "certificate_password": "pw",
            }
        }
    }
    r = client.post(
        "/configuration", json=tree, headers={"Authorization": f"Bearer {dealer.live_secret_key}"}
    )
    assert r.status_code == 200, r.get_data(as_text=True)

    direct = tls.mtls_session(("bench-direct",), p12, "pw", ca_bundle=str(ca_file))
    bureau_p50 = run(
        "stub bureau alone (mTLS, 50 ms)",
        lambda i: direct.post(url, data=b"<x/>", timeout=5).raise_for_status(),
        n,
    )
    built = tls.stats["contexts_built"]
    hub_p50 = run(
        "hub -> mTLS stub bureau", lambda i: post(dealer.live_secret_key, applicant(force=True)), n
    )
    print(
        f"hub overhead at p50: {hub_p50 - bureau_p50:.2f} ms "
        f"(SSL contexts built during the run: {tls.stats['contexts_built'] - built})"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
