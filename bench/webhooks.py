"""Benchmark: Stripe webhook intake under load, with every event delivered more than
once at the same time, on SQLite and on PostgreSQL.

For each database a fresh one is migrated (PostgreSQL: a throwaway cluster started
here, the test suite's ``tests/peers/postgres.py``), the app runs under gunicorn on
loopback with production settings (behind the documented nginx with
``--via-nginx``), and client threads POST signed ``payment_intent.succeeded``
events, each on a connection of its own (``--keep-alive`` reuses them). Each event
goes out ``--copies`` times, the
copies side by side in the queue so different threads deliver them concurrently; a
non-2xx answer is retried as Stripe retries. At the end the script checks the ledger:
every payment counted exactly once, to the cent, and every event stored once.

    .venv/bin/python bench/webhooks.py                       # both databases
    .venv/bin/python bench/webhooks.py --databases postgresql --payments 500
    .venv/bin/python bench/webhooks.py --databases postgresql --rounds 3 --copies 1
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness import (
    SLUG,
    WEBHOOK_SECRET,
    Database,
    Gunicorn,
    ServerSettings,
    app_server,
    cpu_seconds,
    database,
    free_port,
    machine,
    totals,
)

from tests.peers.nginx import DocumentedNginx


def payment_event(amount: int) -> str:
    """A ``payment_intent.succeeded`` event as Stripe sends it (the fields we read)."""
    now = int(time.time())
    intent = {
        "id": f"pi_{uuid.uuid4().hex[:24]}",
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "usd",
        "created": now,
        "metadata": {"drive_slug": SLUG},
        "status": "succeeded",
        "latest_charge": f"ch_{uuid.uuid4().hex[:24]}",
        "receipt_email": None,
        "livemode": False,
    }
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": now,
        "data": {"object": intent},
        "livemode": False,
        "pending_webhooks": 1,
        "type": "payment_intent.succeeded",
    }
    return json.dumps(event)


def signature(payload: str) -> str:
    """``Stripe-Signature`` as Stripe computes it, at the moment of sending."""
    timestamp = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Outcome:
    deliveries: int
    payments: int
    seconds: float
    p50_ms: float
    p99_ms: float
    retries: int
    statuses: Counter
    counted_once: bool
    app_cpu_ms: float  # gunicorn's CPU time per delivery
    db_cpu_ms: float  # PostgreSQL's (SQLite works inside gunicorn: 0)
    proxy_cpu_ms: float  # nginx's, with --via-nginx
    client_cpu_ms: float  # this script's: signing and posting (same CPUs as the server)
    detail: str

    @property
    def deliveries_per_second(self) -> float:
        return self.deliveries / self.seconds


def _request(host: str, payload: str, keep_alive: bool) -> bytes:
    """The POST as bytes, signed now; without keep-alive it asks the server to close
    the connection after answering."""
    body = payload.encode()
    head = (
        f"POST /webhooks/stripe HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Stripe-Signature: {signature(payload)}\r\n"
        + ("" if keep_alive else "Connection: close\r\n")
        + "\r\n"
    )
    return head.encode() + body


def _exchange(connection: socket.socket, request: bytes) -> int:
    """Send one request, read its whole response, return the status. A raw socket
    rather than http.client: the load generator shares the server's two cores, and
    http.client's own CPU time per request was a tenth of the server's."""
    connection.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response")
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = CONTENT_LENGTH.search(head)
    while length and len(body) < int(length.group(1)):
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the response")
        body += chunk
    return int(head.split(b" ", 2)[1])


CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)")


def deliver_all(
    url: str, deliveries: list[str], connections: int, keep_alive: bool
) -> tuple[float, list, Counter]:
    """POST every delivery from ``connections`` threads; retry non-2xx. Each delivery
    opens its own connection unless ``keep_alive``."""
    host, port = url.removeprefix("http://").split(":")
    address = (host, int(port))
    lock = threading.Lock()
    position = 0
    latencies: list[float] = []
    statuses: Counter = Counter()

    def client() -> None:
        nonlocal position
        connection: socket.socket | None = None
        mine, seen = [], Counter()
        while True:
            with lock:
                if position >= len(deliveries):
                    break
                payload = deliveries[position]
                position += 1
            for attempt in range(20):
                started = time.perf_counter()
                try:
                    connection = connection or socket.create_connection(address, timeout=30)
                    status = _exchange(connection, _request(host, payload, keep_alive))
                except OSError:
                    status = 0
                    keep = False
                else:
                    keep = keep_alive
                if not keep and connection is not None:
                    connection.close()
                    connection = None
                mine.append(time.perf_counter() - started)
                seen[status] += 1
                if 200 <= status < 300:
                    break
                time.sleep(0.01 * 2**attempt)  # Stripe backs off too, over hours
        if connection is not None:
            connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def _server_cpu(
    server: Gunicorn, db: Database, proxy: DocumentedNginx | None
) -> tuple[float, float, float]:
    """CPU seconds used so far by gunicorn (master + workers), PostgreSQL and nginx."""
    return (
        server.cpu_seconds(),
        cpu_seconds(db.server_pid) if db.server_pid else 0.0,
        cpu_seconds(proxy.process.pid) if proxy else 0.0,
    )


def run(kind: str, args: argparse.Namespace) -> Outcome:
    amounts = [500 + (i * 7919) % 100_000 for i in range(args.payments)]
    events = [payment_event(amount) for amount in amounts]
    # Copies side by side: the next free threads take them, so they arrive together.
    deliveries = [event for event in events for _ in range(args.copies)]
    settings = ServerSettings(
        workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )
    with database(kind) as db, tempfile.TemporaryDirectory(prefix="bench-nginx-") as folder:
        server = app_server(db.url, settings)
        proxy = None
        try:
            if args.via_nginx:
                proxy = DocumentedNginx(Path(folder), free_port(), server.port).wait_ready()
            url = proxy.url if proxy else server.url
            warm_up = [payment_event(600) for _ in range(50)]
            deliver_all(url, warm_up, args.connections, args.keep_alive)
            warm_raised = 50 * 600
            cpu_before = _server_cpu(server, db, proxy)
            client_before = time.process_time()
            seconds, latencies, statuses = deliver_all(
                url, deliveries, args.connections, args.keep_alive
            )
            client_cpu = time.process_time() - client_before
            cpu_after = _server_cpu(server, db, proxy)
        finally:
            if proxy:
                proxy.stop()
            server.stop()
        raised, donors, rows, stored = totals(db.url)
    expected = (sum(amounts) + warm_raised, args.payments + 50)
    counted_once = (raised, donors) == expected and rows == expected[1]
    counted_once = counted_once and stored == {"processed": expected[1]}
    latencies.sort()
    return Outcome(
        deliveries=len(deliveries),
        payments=args.payments,
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        retries=sum(n for status, n in statuses.items() if not 200 <= status < 300),
        statuses=statuses,
        counted_once=counted_once,
        app_cpu_ms=(cpu_after[0] - cpu_before[0]) * 1000 / len(deliveries),
        db_cpu_ms=(cpu_after[1] - cpu_before[1]) * 1000 / len(deliveries),
        proxy_cpu_ms=(cpu_after[2] - cpu_before[2]) * 1000 / len(deliveries),
        client_cpu_ms=client_cpu * 1000 / len(deliveries),
        detail=(
            f"raised {raised} (expected {expected[0]}), donors {donors}, donation rows {rows}, "
            f"webhook rows {stored}"
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=2, help="deliveries of each event")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse each client thread's connection (default: one per delivery)",
    )
    parser.add_argument(
        "--via-nginx",
        action="store_true",
        help="post through nginx configured as docs/deployment.md says (upstream keepalive)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat; the median is shown")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads"
        f"{', behind the documented nginx' if args.via_nginx else ''}; client: "
        f"{args.connections} threads, "
        f"{'keep-alive connections' if args.keep_alive else 'a connection per delivery'}; "
        f"{args.payments} payments x {args.copies} deliveries each"
    )
    print()
    print(
        "| database   | deliveries/s | payments/s | p50 ms | p99 ms | app CPU ms | db CPU ms "
        "| nginx CPU ms | client CPU ms | retried | counted once |"
    )
    print(
        "|------------|-------------:|-----------:|-------:|-------:|-----------:|----------:"
        "|-------------:|--------------:|--------:|:------------:|"
    )
    failed = False
    for kind in args.databases.split(","):
        outcomes = [run(kind, args) for _ in range(args.rounds)]
        outcome = sorted(outcomes, key=lambda o: o.deliveries_per_second)[len(outcomes) // 2]
        print(
            f"| {kind:<10} | {outcome.deliveries_per_second:>12,.0f} | "
            f"{outcome.payments / outcome.seconds:>10,.0f} | {outcome.p50_ms:>6.1f} | "
            f"{outcome.p99_ms:>6.1f} | {outcome.app_cpu_ms:>10.2f} | {outcome.db_cpu_ms:>9.2f} | "
            f"{outcome.proxy_cpu_ms:>12.2f} | {outcome.client_cpu_ms:>13.2f} | "
            f"{outcome.retries:>7} | "
            f"{'yes' if all(o.counted_once for o in outcomes) else 'NO':>12} |"
        )
        if args.rounds > 1:
            rates = ", ".join(
                f"{o.deliveries_per_second:,.0f}/s ({o.app_cpu_ms:.2f} + {o.db_cpu_ms:.2f} ms)"
                for o in outcomes
            )
            print(f"  rounds (app + db CPU per delivery): {rates}")
        for o in outcomes:
            if not o.counted_once:
                failed = True
                print(f"  MISMATCH on {kind}: {o.detail}; statuses {dict(o.statuses)}")
        print(f"  {kind}: statuses {dict(outcome.statuses)}; {outcome.detail}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
