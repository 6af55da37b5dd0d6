"""Delivery when things go wrong: the server down, slow, deferring or refusing, a
sender dying mid-send, and several senders at once. Each email arrives exactly once
or ends ``failed`` with its error; none is lost or doubled."""

from __future__ import annotations

import random
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from donation_drive.emails import send_due_emails
from donation_drive.emails.sender import retry_delay
from donation_drive.extensions import db
from donation_drive.models import Drive, OutboxEmail, utcnow

from ..peers.ports import free_port
from .factories import MAX_ATTEMPTS, RETRY_BASE_SECONDS, give, later, outbox_row


def received_subjects(smtp) -> list[str]:
    return sorted(str(message["Subject"]) for message in smtp.messages)


def test_server_down_at_first_then_up_delivers_each_email_exactly_once(app, drive, smtp):
    gifts = [give(drive, email=f"donor{i}@example.org") for i in range(3)]
    app.config["SMTP_PORT"] = free_port()  # nothing listens there

    down = send_due_emails()

    assert (down.sent, down.retrying, down.stopped_early) == (0, 1, True)
    first = outbox_row(gifts[0].id)
    assert first.status == "pending" and first.attempts == 1
    where = f"127.0.0.1:{app.config['SMTP_PORT']}"
    assert first.last_error == f"SMTP {where} unreachable (Connection refused)"
    assert first.next_attempt_at > utcnow() + timedelta(seconds=RETRY_BASE_SECONDS * 0.8)
    # The batch stopped at the dead server: the others were not even attempted.
    assert [outbox_row(g.id).attempts for g in gifts[1:]] == [0, 0]

    app.config["SMTP_PORT"] = smtp.port
    up = send_due_emails(now=later(hours=1))
    again = send_due_emails(now=later(days=1))

    assert (up.sent, again.processed) == (3, 0)
    assert len(smtp.messages) == 3
    assert len(set(received_subjects(smtp))) == 3
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == [
        "donor0@example.org",
        "donor1@example.org",
        "donor2@example.org",
    ]
    assert all(outbox_row(g.id).status == "sent" for g in gifts)


def test_a_server_that_never_answers_times_out_and_is_retried(app, drive, smtp):
    donation = give(drive)
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(SMTP_PORT=silent.getsockname()[1], SMTP_TIMEOUT=1)
        report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.retrying, row.status, row.attempts) == (1, "pending", 1)
    assert "timed out" in row.last_error
    app.config.update(SMTP_PORT=smtp.port, SMTP_TIMEOUT=5)
    assert send_due_emails(now=later(hours=1)).sent == 1
    assert len(smtp.messages) == 1


def test_a_4xx_reply_is_retried_and_then_delivered_once(app, drive, smtp):
    donation = give(drive)
    smtp.handler.fail_with = ["451 4.3.0 Mailbox busy, try again later"]

    deferred = send_due_emails()

    row = outbox_row(donation.id)
    assert (deferred.retrying, row.status, row.attempts) == (1, "pending", 1)
    assert row.last_error == "message deferred: 451 4.3.0 Mailbox busy, try again later"
    assert smtp.messages == []
    # Not due yet: a run right away leaves it alone.
    assert send_due_emails().processed == 0

    delivered = send_due_emails(now=later(hours=1))

    row = outbox_row(donation.id)
    assert (delivered.sent, row.status, row.attempts, row.last_error) == (1, "sent", 2, None)
    assert len(smtp.messages) == 1
    assert send_due_emails(now=later(days=1)).processed == 0


def test_retries_back_off_exponentially_and_give_up_after_the_last_attempt(app, drive, smtp):
    donation = give(drive)
    smtp.handler.fail_with = ["421 4.7.0 Try again later"] * MAX_ATTEMPTS
    delays = []
    clock = utcnow()
    for _ in range(MAX_ATTEMPTS):
        clock = max(clock, outbox_row(donation.id).next_attempt_at)
        send_due_emails(now=clock)
        delays.append((outbox_row(donation.id).next_attempt_at - clock).total_seconds())

    row = outbox_row(donation.id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.last_error == "message deferred: 421 4.7.0 Try again later"
    assert smtp.messages == []
    # 60 s then 120 s (each +/-10%); the last failure schedules nothing.
    assert 54 <= delays[0] <= 66 and 108 <= delays[1] <= 132 and delays[2] == 0
    assert send_due_emails(now=later(days=30)).processed == 0


def test_a_permanent_5xx_fails_at_once_and_keeps_its_error(app, drive, smtp):
    refused, fine = give(drive, email="gone@example.org"), give(drive, email="ok@example.org")
    smtp.handler.fail_with = ["550 5.1.1 No such mailbox"]

    report = send_due_emails()

    row = outbox_row(refused.id)
    assert (report.failed, report.sent) == (1, 1)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "message refused: 550 5.1.1 No such mailbox"
    assert [m["To"].addresses[0].addr_spec for m in smtp.messages] == ["ok@example.org"]
    assert outbox_row(fine.id).status == "sent"
    # Failed stays failed: no later run sends it behind the admin's back.
    assert send_due_emails(now=later(days=30)).processed == 0


def test_two_senders_at_once_never_send_the_same_email_twice(app, drive, smtp):
    count = 24
    gifts = [give(drive, email=f"donor{i}@example.org") for i in range(count)]
    barrier = threading.Barrier(3)
    reports, errors = [], []

    def sender() -> None:
        with app.app_context():  # each thread has its own session and connection
            try:
                barrier.wait()
                reports.append(send_due_emails(limit=count))
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.sent for r in reports) == count
    assert len(smtp.messages) == count
    assert len(set(received_subjects(smtp))) == count
    assert {outbox_row(g.id).status for g in gifts} == {"sent"}


def test_an_email_held_by_a_sender_that_died_is_sent_once_its_lease_runs_out(app, drive, smtp):
    donation = give(drive)
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.donation_id == donation.id)
        .values(locked_by="dead-worker", locked_until=utcnow() + timedelta(minutes=5), attempts=1)
    )
    db.session.commit()

    assert send_due_emails().processed == 0  # still leased: maybe it is being sent
    report = send_due_emails(now=later(minutes=6))

    row = outbox_row(donation.id)
    assert (report.sent, row.status, row.attempts, row.locked_by) == (1, "sent", 2, None)
    assert len(smtp.messages) == 1


def test_a_sender_that_died_during_the_last_attempt_is_not_retried(app, drive, smtp):
    donation = give(drive)
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.donation_id == donation.id)
        .values(
            locked_by="dead-worker",
            locked_until=utcnow() - timedelta(seconds=1),
            attempts=MAX_ATTEMPTS,
            last_error="message deferred: 451 busy",
        )
    )
    db.session.commit()

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.failed, row.status) == (1, "failed")
    assert row.last_error == "message deferred: 451 busy (gave up)"
    assert smtp.messages == []


def test_a_broken_override_template_is_retried_not_dropped(app, drive, smtp, tmp_path):
    folder = tmp_path / "instance" / "templates" / "emails"
    folder.mkdir(parents=True)
    broken = folder / "receipt.html"
    broken.write_text("<p>{{ donor_name </p>")
    donation = give(drive)

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.retrying, row.status) == (1, "pending")
    assert row.last_error.startswith("could not render:")
    broken.unlink()  # the organisation fixes its template
    assert send_due_emails(now=later(hours=1)).sent == 1
    assert len(smtp.messages) == 1


def test_limit_bounds_one_run_and_the_rest_waits(app, drive, smtp):
    for i in range(5):
        give(drive, email=f"donor{i}@example.org")

    first = send_due_emails(limit=2)
    rest = send_due_emails(limit=10)

    assert (first.sent, rest.sent, len(smtp.messages)) == (2, 3, 5)
    pending = db.session.scalars(select(OutboxEmail).where(OutboxEmail.status != "sent")).all()
    assert pending == []


@pytest.mark.parametrize("attempts", [1, 2, 3, 8, 20])
def test_retry_delay_doubles_within_jitter_and_is_capped(attempts):
    rng = random.Random(attempts)
    delay = retry_delay(attempts, 60, rng).total_seconds()
    expected = min(60 * 2 ** (attempts - 1), 6 * 3600)
    assert expected * 0.9 <= delay <= expected * 1.1


def test_send_due_emails_runs_from_a_job_without_a_request(app, drive, smtp):
    # The scheduler calls it with nothing but an application context, in a thread.
    drive_id = drive.id
    give(drive)
    results = []

    def job() -> None:
        with app.app_context():
            assert db.session.get(Drive, drive_id) is not None
            results.append(send_due_emails())
            db.session.remove()

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(timeout=30)
    assert results[0].sent == 1 and len(smtp.messages) == 1
