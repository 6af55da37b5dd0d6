"""The donation list with 100,000 donations: each page costs the same few SQL
statements, and the query on donations is answered from an index (the plans are
checked, not the clock)."""

from __future__ import annotations

import html
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from flask import g
from sqlalchemy import event, insert, text, update

from donation_drive.extensions import db
from donation_drive.ledger import create_drive, get_drive, recount_drive
from donation_drive.ledger.breakdown import check_breakdown, rebuild_breakdown
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Donation, Drive, Method, utcnow

from ..conftest import TEST_DATABASE, make_app

ROWS = 100_000
METHODS = [m.value for m in Method]
# A request may read the admin, the drives for the switcher, and one page of donations.
MAX_STATEMENTS_PER_PAGE = 3
# A search adds one: the bounded count of its matches.
MAX_STATEMENTS_PER_SEARCH_PAGE = 4


def insert_donations(drive: Drive, count: int) -> None:
    """Bulk-insert ``count`` donations (one in twenty voided) and bring the drive's
    running totals in line with them, as the ledger would have."""
    now = utcnow()
    rows = [
        {
            "drive_id": drive.id,
            "version": 1,
            "amount": 500 + (i * 7_919) % 100_000,
            "currency": drive.currency,
            "method": METHODS[i % len(METHODS)],
            "status": "voided" if i % 20 == 0 else "succeeded",
            "received_at": drive.starts_at + timedelta(seconds=37 * i),
            "donor_name": f"Donor {i:06d}",
            "donor_email": f"donor{i}@example.org",
            "reference": f"REF-{i:06d}",
            "is_anonymous": False,
            "send_receipt": False,
            "entered_by": "bulk",
            "refunded_amount": 0,
            "disputed_amount": 0,
            "fee_covered_amount": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    # Core executemany on the table: the ORM bulk path adds nothing here but time.
    db.session.execute(insert(Donation.__table__), rows)
    raised, donors = recount_drive(drive.id)
    db.session.execute(
        update(Drive).where(Drive.id == drive.id).values(raised_amount=raised, donor_count=donors)
    )
    db.session.commit()
    rebuild_breakdown(drive.id)
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would have gathered on a real server.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE donations"))


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, object]]]:
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def query_plan(statement: str, parameters: object) -> str:
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)


def assert_uses_an_index(plan: str, *, ordered_by_index: bool) -> None:
    if db.engine.dialect.name == "sqlite":
        donation_steps = [line for line in plan.splitlines() if " donations" in line]
        assert donation_steps, plan
        for step in donation_steps:
            assert re.search(r"USING (COVERING INDEX|INDEX|INTEGER PRIMARY KEY)", step), plan
        if ordered_by_index:
            assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Seq Scan on donations" not in plan, plan
        assert re.search(r"Index (Only )?Scan|Bitmap Index Scan", plan), plan
        if ordered_by_index:
            # Sorting at most what the index hands over is fine; sorting the drive is not.
            assert "Sort Key" not in plan or "Presorted Key" in plan, plan


def fetch(admin_client, url: str) -> tuple[str, list[tuple[str, object]]]:
    # The test holds one app context for all requests; start each with an empty
    # session and no cached admin, as a real request does.
    db.session.remove()
    g.pop("_login_user", None)
    with captured_statements() as statements:
        response = admin_client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True), statements


def next_link(page: str) -> str:
    return html.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))


@pytest.fixture(scope="module")
def filled_database(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    """A migrated database holding one drive with 100,000 donations, filled once for
    this module: a SQLite file path, or a PostgreSQL database name to copy."""
    folder = tmp_path_factory.mktemp("filled")
    if TEST_DATABASE == "postgresql":
        cluster = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")
        name = f"filled_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url, handle = cluster.sqlalchemy_url(name), name
    else:
        path = folder / "filled.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url, handle = f"sqlite:///{path}", str(path)
    app = make_app(url, folder / "instance")
    with app.app_context():
        drive = create_drive(
            slug="eoy",
            title="End of the Year Donation Drive",
            goal_amount=7_500_000,
            currency="USD",
            starts_at=parse_datetime("2026-11-15", "starts", tz="America/New_York"),
            ends_at=parse_datetime("2026-12-31", "ends", tz="America/New_York", end_of_day=True),
        )
        insert_donations(drive, ROWS)
        db.session.remove()
        db.engine.dispose()
    return handle


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path, filled_database: str) -> str:
    """Each test gets its own copy of the filled database."""
    if TEST_DATABASE == "postgresql":
        cluster = request.getfixturevalue("postgres")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{filled_database}"')
        return cluster.sqlalchemy_url(name)
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(filled_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def big_drive(app) -> Drive:
    return get_drive("eoy")


@pytest.mark.slow
def test_every_page_of_100k_donations_is_a_few_indexed_statements(admin_client, big_drive):
    cases = [
        # (query string, whether the index itself gives the order)
        ("", True),
        ("sort=date&dir=asc", True),
        ("sort=amount&dir=desc", True),
        ("sort=amount&dir=asc", True),
        ("method=check", True),
        ("status=voided", False),
        ("from=2026-12-01&to=2026-12-07", True),
        ("min=200&max=300", False),
    ]
    for query, ordered_by_index in cases:
        counts = walk_pages(admin_client, f"/admin/donations?{query}", ordered_by_index)
        assert len(set(counts)) == 1, (query, counts)  # page 3 costs what page 1 costs


@pytest.mark.slow
def test_a_search_is_one_statement_per_page_answered_from_the_folded_indexes(
    admin_client, big_drive
):
    # A prefix of a name, email, reference or payment id is one range of its folded
    # index; the page order then walks the date index keeping the matching ids.
    for query in ("q=REF-0424", "q=donor 0", "q=donor4242@EXAMPLE.org"):
        # Few matches are sorted by themselves (at most FEW_MATCHES rows); many are
        # met in the date index's order.
        ordered = query == "q=donor 0"
        counts = walk_pages(admin_client, f"/admin/donations?{query}", ordered_by_index=ordered)
        assert len(set(counts)) == 1, counts
    page, statements = fetch(admin_client, "/admin/donations?q=DONOR4242@example.org")
    assert len(re.findall(r'<tr data-id="(\d+)"', page)) == 1
    assert '<td class="ref">REF-004242</td>' in page
    plan = query_plan(*[s for s in statements if "FROM donations" in s[0]][-1])
    for index in ("ix_donations_drive_email_folded",):
        assert index in plan, plan
    _, statements = fetch(admin_client, "/admin/donations?q=Donor 0424")
    plan = query_plan(*[s for s in statements if "FROM donations" in s[0]][-1])
    for index in ("ix_donations_drive_name_folded", "ix_donations_drive_reference_folded"):
        assert index in plan, plan


@pytest.mark.slow
def test_the_overview_of_100k_donations_reads_the_breakdown_not_the_donations(
    admin_client, big_drive
):
    assert check_breakdown(big_drive.id) == {}
    page, statements = fetch(admin_client, f"/admin/?drive={big_drive.slug}")
    on_donations = [s for s in statements if "FROM donations" in s[0]]
    # The ten largest and the ten latest gifts, each from an index in its order.
    assert len(on_donations) == 2, statements
    for statement in on_donations:
        assert "LIMIT" in statement[0], statement
        assert_uses_an_index(query_plan(*statement), ordered_by_index=True)
    on_breakdown = [
        s for s in statements if "drive_hour_totals" in s[0] or "drive_amount_counts" in s[0]
    ]
    assert len(on_breakdown) == 4, statements  # per method, per day, the median's two
    for statement in on_breakdown:
        plan = query_plan(*statement)
        # On PostgreSQL a scan of these small tables (this drive's rows only) is
        # the planner's fair choice; SQLite must seek the drive in the primary key.
        if db.engine.dialect.name == "sqlite":
            assert "SCAN drive_" not in plan, plan
    # The rest: the session, the admin, the drives, the monthly card (main).
    assert len(statements) <= 16, statements
    # What it shows is what a scan of the donations says.
    counted = sorted(
        a - r
        for a, r, status in db.session.execute(
            text("SELECT amount, refunded_amount, status FROM donations WHERE drive_id = :d"),
            {"d": big_drive.id},
        )
        if status == "succeeded" and a > r
    )
    middle = len(counted) // 2
    median = (
        counted[middle] if len(counted) % 2 else (counted[middle - 1] + counted[middle] + 1) // 2
    )
    assert f'data-testid="median" data-amount="{median}"' in page


def walk_pages(admin_client, url: str, ordered_by_index: bool = False, plans: bool = True):
    """Fetch the first page and the two after it; check each page's statements."""
    counts = []
    for _ in range(3):
        page, statements = fetch(admin_client, url)
        counts.append(len(statements))
        limit = MAX_STATEMENTS_PER_SEARCH_PAGE if "q=" in url else MAX_STATEMENTS_PER_PAGE
        assert len(statements) <= limit, (url, statements)
        on_donations = [s for s in statements if "FROM donations" in s[0]]
        # A search first counts its matches, at most FEW_MATCHES + 1, from the indexes.
        probes = [s for s in on_donations if s[0].lstrip().startswith("SELECT count(*)")]
        assert len(on_donations) - len(probes) == 1, (url, statements)
        if plans:
            for statement in on_donations:
                plan = query_plan(*statement)
                if statement in probes and db.engine.dialect.name == "postgresql":
                    # A prefix every row has may be counted by a scan that stops at
                    # FEW_MATCHES + 1: the limit bounds it either way.
                    assert "Limit" in plan, plan
                    continue
                assert_uses_an_index(
                    plan, ordered_by_index=ordered_by_index and statement not in probes
                )
        if 'rel="next"' not in page:
            break
        url = next_link(page)
    return counts


@pytest.mark.slow
def test_pages_deep_in_100k_donations_are_in_order_and_distinct(admin_client, big_drive):
    url, seen, amounts = "/admin/donations?sort=amount&dir=desc", set(), []
    for _ in range(4):
        page, _ = fetch(admin_client, url)
        rows = re.findall(r'<tr data-id="(\d+)" data-amount="(\d+)">', page)
        assert len(rows) == 50
        assert seen.isdisjoint(int(i) for i, _ in rows)
        seen.update(int(i) for i, _ in rows)
        amounts += [int(a) for _, a in rows]
        url = next_link(page)
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == 500 + 99_999  # the largest amount the bulk rows can have
