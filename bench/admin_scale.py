"""Benchmark: the admin at a million gifts.

Seeds one drive with ``--rows`` donations (1,000,000 by default) quickly: the schema
is migrated to revision 0007, the rows go in by one ``executemany`` (SQLite) or
``COPY`` (PostgreSQL), and the upgrade to head then builds the drive breakdown and
the search indexes exactly as migration 0008 does on a real database. Then, in
process through the Flask test client and logged in through the real form, it times
each admin page (median of ``--repeat`` requests, after one warm-up) beside a
trivial page (``/healthz``) measured in the same run, and the CSV export of the
whole drive (rows/s, and this process's peak RSS growth while streaming).

    .venv/bin/python bench/admin_scale.py                       # SQLite, 1M rows
    .venv/bin/python bench/admin_scale.py --database postgresql
    .venv/bin/python bench/admin_scale.py --rows 100000         # a quick look
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import ROOT, SLUG, machine

BUDGET_MS = 250.0
EXPORT_ROWS_PER_S = 100_000
FIRST = ["Maria", "James", "Anna", "Robert", "Sofia", "David", "Emma", "Li", "Olga", "Omar"]
FIRST += ["Fatima", "John", "Chen", "Laura", "Peter", "Aisha", "Mark", "Nina", "Paul", "Rosa"]
LAST = ["Garcia", "Smith", "Nguyen", "Johnson", "Kowalski", "Brown", "Lopez", "Miller"]
LAST += ["Okafor", "Schmidt", "Rossi", "Wilson", "Tanaka", "Moore", "Silva", "Taylor"]
PRESETS = [1_000, 2_500, 5_000, 10_000, 2_500, 5_000, 25_000]
COLUMNS = [
    "drive_id",
    "version",
    "amount",
    "currency",
    "method",
    "status",
    "received_at",
    "donor_name",
    "donor_email",
    "is_anonymous",
    "reference",
    "provider",
    "provider_ref",
    "fee_covered_amount",
    "refunded_amount",
    "disputed_amount",
    "entered_by",
    "send_receipt",
    "created_at",
    "updated_at",
]


def gift(i: int, drive_id: int, starts: datetime) -> tuple:
    """The i-th seeded donation: mostly preset amounts, a third typed whole amounts, one
    in twenty with cents (fees covered); card, PayPal and offline methods; one in fifty
    refunded in full, one in a hundred offline entries voided; 400,000 donor emails."""
    if i % 20 == 19:
        amount = 500 + (i * 7_919) % 99_500
    elif i % 3 == 2:
        amount = 100 * (5 + (i * 104_729) % 995)
    else:
        amount = PRESETS[i % len(PRESETS)]
    kind = i % 20
    method = "card" if kind < 12 else "paypal" if kind < 17 else ("check", "cash", "bitcoin")[i % 3]
    offline = method in ("check", "cash", "bitcoin")
    status = "voided" if offline and i % 100 == 13 else "succeeded"
    refunded = amount if not offline and i % 50 == 7 else 0
    provider = None if offline else "stripe" if method == "card" else "paypal"
    received = starts + timedelta(seconds=5 * i)
    return (
        drive_id,
        1,
        amount,
        "USD",
        method,
        status,
        received,
        f"{FIRST[i % 20]} {LAST[(i // 20) % 16]}",
        f"donor{i % 400_000}@example.org",
        False,
        f"CHK-{i:07d}" if offline else None,
        provider,
        f"pi_bench_{i:07d}" if provider else None,
        0,
        refunded,
        0,
        "bench",
        False,
        received,
        received,
    )


@contextmanager
def fresh_database(kind: str):
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="dd-admin-scale-"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}", folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from tests.peers.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        yield cluster.create_database(), cluster.root
    finally:
        cluster.stop()


BEFORE_BREAKDOWN = "0007"  # the revision before migration 0008's breakdown back-fill


def insert_drive(connection) -> tuple[int, datetime]:
    """The benchmark's drive, written with the columns the schema has at
    ``BEFORE_BREAKDOWN`` (the model has later ones)."""
    from sqlalchemy import MetaData, Table

    drives = Table("drives", MetaData(), autoload_with=connection)
    starts, now = datetime(2026, 11, 1, tzinfo=UTC), datetime.now(UTC)
    values = {
        "slug": SLUG,
        "title": "Benchmark Drive",
        "description": "",
        "currency": "USD",
        "goal_amount": 7_500_000_000,
        "locale": "en_US",
        "starts_at": starts,
        "ends_at": datetime(2026, 12, 31, tzinfo=UTC),
        "accept_gifts_after_end": False,
        "raised_amount": 0,
        "donor_count": 0,
        "gift_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    present = {key: value for key, value in values.items() if key in drives.c}
    drive_id = connection.execute(drives.insert().values(present).returning(drives.c.id))
    return drive_id.scalar_one(), starts


def _migration(name: str):
    """A migration file as a module, for its data step."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def donor_page_url(app) -> str:
    """The page of the donor behind ``donor123457@example.org`` (gifts in the drive)."""
    from sqlalchemy import text

    from donation_drive.extensions import db

    with app.app_context():
        donor_id = db.session.execute(
            text("SELECT id FROM donors WHERE email_key = 'donor123457@example.org'")
        ).scalar_one()
    return f"/admin/donors/{donor_id}"


def seed(app, rows: int) -> None:
    from sqlalchemy import text

    from donation_drive.admin.auth.accounts import create_admin
    from donation_drive.extensions import db
    from donation_drive.ledger import recount_drive
    from donation_drive.schema import upgrade

    with app.app_context():
        upgrade(revision=BEFORE_BREAKDOWN)
        with db.engine.begin() as connection:
            drive_id, starts = insert_drive(connection)
        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if db.engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY donations ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for i in range(rows):
                        copy.write_row(gift(i, drive_id, starts))
            else:
                # As SQLAlchemy stores a naive UTC datetime on SQLite (microseconds
                # always written), not as the sqlite3 module's adapter would.
                def stored(moment: datetime) -> str:
                    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

                naive = [
                    (*row[:6], stored(row[6]), *row[7:18], *(stored(v) for v in row[18:]))
                    for row in (gift(i, drive_id, starts) for i in range(rows))
                ]
                marks = ", ".join("?" * len(COLUMNS))
                names = ", ".join(COLUMNS)
                cursor.executemany(f"INSERT INTO donations ({names}) VALUES ({marks})", naive)  # noqa: S608
            raw.commit()
        finally:
            raw.close()
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        # Every gift gets its donor as migration 0006 gives existing gifts theirs (the
        # rows went in after it ran), then 0008 builds the breakdown and the search
        # indexes, as on a real database.
        with db.engine.begin() as connection:
            _migration("0006_donors")._attach_existing_gifts(connection)
        upgrade()
        migrated = time.perf_counter() - started
        raised, donors = recount_drive(drive_id)
        db.session.execute(
            text("UPDATE drives SET raised_amount = :r, donor_count = :d WHERE id = :i"),
            {"r": raised, "d": donors, "i": drive_id},
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a load
        create_admin("bench@example.org", "bench-password-123")
        db.session.remove()
        print(
            f"seeded {rows:,} donations in {inserted:.1f}s; donors attached (0006's step) "
            f"and migration 0008 run in {migrated:.1f}s"
        )


def login(app):
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login",
        data={"email": "bench@example.org", "password": "bench-password-123", "csrf_token": token},
    )
    assert response.status_code == 302, response.status_code
    return client


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` GETs after one warm-up, and the body size."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.get_data())
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), size


def deep_page_url(client, hops: int) -> str:
    """The donation list ``hops`` pages in, followed by its own next links."""
    url = f"/admin/donations?drive={SLUG}"
    for _ in range(hops):
        html = client.get(url).get_data(as_text=True)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&")
    return url


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def export(client) -> tuple[int, float, int]:
    """Stream the whole drive's CSV: (rows, seconds, peak RSS growth in KiB)."""
    before = rss_kib()
    peak = before
    started = time.perf_counter()
    response = client.get(f"/admin/donations.csv?drive={SLUG}", buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count("\n") if isinstance(chunk, str) else chunk.count(b"\n")
        if lines % 20_000 < 2:
            peak = max(peak, rss_kib())
    elapsed = time.perf_counter() - started
    response.close()
    return lines - 1, elapsed, max(peak, rss_kib()) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--deep", type=int, default=40, help="pages in for the deep page")
    args = parser.parse_args()
    os.environ.setdefault("DONATION_DRIVE_ENV", "development")
    sys.path.insert(0, str(ROOT))
    from donation_drive import create_app

    print(f"machine: {machine()}")
    print(f"database: {args.database}, {args.rows:,} donations, median of {args.repeat}")
    with fresh_database(args.database) as (url, instance):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "ACCESS_LOG": False,
                "RATELIMIT_ENABLED": False,
                # A zone with a daylight-saving change inside the drive (1 Nov).
                "ADMIN_TIMEZONE": "America/New_York",
            },
            str(instance),
        )
        seed(app, args.rows)
        client = login(app)
        pages = {
            "trivial page (/healthz)": "/healthz",
            "overview": f"/admin/?drive={SLUG}",
            "donations, first page": f"/admin/donations?drive={SLUG}",
            f"donations, page {args.deep + 1} (keyset)": deep_page_url(client, args.deep),
            "donations, by amount": f"/admin/donations?drive={SLUG}&sort=amount",
            "search: email": f"/admin/donations?drive={SLUG}&q=donor123457%40example.org",
            "search: name prefix 'maria gar'": f"/admin/donations?drive={SLUG}&q=maria+gar",
            "search: name prefix 'o' (broad)": f"/admin/donations?drive={SLUG}&q=o",
            "search: reference": f"/admin/donations?drive={SLUG}&q=CHK-0000013",
            "search: receipt number": f"/admin/donations?drive={SLUG}&q=DD-00500000",
            "filtered: check, Nov 20-22, $50+": (
                f"/admin/donations?drive={SLUG}&method=check&from=2026-11-20&to=2026-11-22&min=50"
            ),
            "filtered: voided": f"/admin/donations?drive={SLUG}&status=voided",
            "donors, first page": "/admin/donors/",
            "donors: email prefix": "/admin/donors/?q=donor123457%40example.org",
            "donors: part of a name 'kowal'": "/admin/donors/?q=kowal",
            "donors: part of a name 'zzz' (no match: the whole table read)": (
                "/admin/donors/?q=zzz"
            ),
            "a donor's page": donor_page_url(app),
        }
        with app.app_context():
            trivial = None
            print(f"{'page':44} {'ms':>8} {'x trivial':>10} {'budget':>8}")
            for name, url in pages.items():
                ms, _size = timed(client, url, args.repeat)
                trivial = trivial or ms
                verdict = (
                    "" if name.startswith("trivial") else ("ok" if ms <= BUDGET_MS else "OVER")
                )
                print(f"{name:44} {ms:8.1f} {ms / trivial:10.1f} {verdict:>8}")
            rows, seconds, growth = export(client)
            rate = rows / seconds
            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            verdict = "ok" if rate >= EXPORT_ROWS_PER_S else "UNDER"
            print(
                f"CSV export: {rows:,} rows in {seconds:.1f}s = {rate:,.0f} rows/s ({verdict}), "
                f"{rate * trivial / 1000:,.0f} rows in the time of one trivial page; "
                f"peak RSS growth while streaming {growth / 1024:.1f} MiB "
                f"(max RSS of the run {max_rss / 1024:.0f} MiB)"
            )
            print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
