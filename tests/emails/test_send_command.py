"""``donation-drive send-emails`` tells cron and monitors when mail is not going out:
exit 1 and one line on stderr when due emails were held back by a server that is down
or deferring, with the emails still queued and sent once when it is back."""

from __future__ import annotations

from sqlalchemy import select, update

from donation_drive.extensions import db
from donation_drive.models import OutboxEmail, utcnow

from ..peers.ports import free_port
from .factories import MAX_ATTEMPTS, give, outbox_row


def _rows(donations) -> list[OutboxEmail]:
    return [outbox_row(d.id) for d in donations]


def test_no_server_exits_1_with_one_line_and_the_emails_stay_queued(app, drive, smtp, runner):
    gifts = [give(drive, email=f"donor{i}@example.org") for i in range(3)]
    dead_port = free_port()  # nothing listens there
    app.config.update(SMTP_PORT=dead_port, EMAIL_RETRY_BASE_SECONDS=60)

    down = runner.invoke(args=["send-emails"])

    assert down.exit_code == 1, down.output
    assert down.stderr.splitlines() == [
        f"Error: 3 of 3 emails not sent: SMTP 127.0.0.1:{dead_port} unreachable "
        "(Connection refused); they stay queued"
    ]
    assert "sent 0, retrying 1, failed 0, canceled 0, not tried 2" in down.stdout
    rows = _rows(gifts)
    assert [row.status for row in rows] == ["pending"] * 3
    # The one tried has its retry scheduled; the others were not tried and are still due.
    assert rows[0].attempts == 1 and rows[0].next_attempt_at > utcnow()
    assert [row.attempts for row in rows[1:]] == [0, 0]
    assert smtp.messages == []

    # The server is back and the retry is due: move the schedule rather than sleep
    # out a delay, which a slow machine may have used up before the assertion above.
    app.config["SMTP_PORT"] = smtp.port
    db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
    db.session.commit()
    up = runner.invoke(args=["send-emails"])
    again = runner.invoke(args=["send-emails"])

    assert (up.exit_code, again.exit_code) == (0, 0), up.output + again.output
    assert up.stderr == "" and "sent 3, retrying 0" in up.stdout
    assert "sent 0, retrying 0" in again.stdout
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == [
        "donor0@example.org",
        "donor1@example.org",
        "donor2@example.org",
    ]
    assert [row.status for row in _rows(gifts)] == ["sent"] * 3


def test_a_deferring_server_exits_1_naming_its_reply(app, drive, smtp, runner):
    deferred, delivered = give(drive, email="busy@example.org"), give(drive, email="ok@example.org")
    smtp.handler.fail_with = ["451 4.3.0 Mailbox busy, try again later"]

    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: 1 of 2 emails not sent: message deferred: 451 4.3.0 Mailbox busy, try again "
        "later; they stay queued"
    ]
    assert outbox_row(deferred.id).status == "pending"
    assert outbox_row(delivered.id).status == "sent"


def test_the_last_attempt_failing_says_the_email_failed_for_good(app, drive, smtp, runner):
    donation = give(drive)
    db.session.execute(update(OutboxEmail).values(attempts=MAX_ATTEMPTS - 1))
    db.session.commit()
    smtp.handler.fail_with = ["421 4.7.0 Try again later"]

    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: 1 of 1 email not sent: message deferred: 421 4.7.0 Try again later; "
        "1 failed for good after the last attempt"
    ]
    assert outbox_row(donation.id).status == "failed"


def test_an_address_the_server_refuses_for_good_is_not_a_failed_run(app, drive, smtp, runner):
    """A 5xx for one mailbox is that email's fault, not the run's: it is failed (and
    shown on the operations page), and the command did its job."""
    refused, fine = give(drive, email="gone@example.org"), give(drive, email="ok@example.org")
    smtp.handler.fail_with = ["550 5.1.1 No such mailbox"]

    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 0, result.output
    assert "sent 1, retrying 0, failed 1, canceled 0" in result.stdout
    assert result.stderr == ""
    assert (outbox_row(refused.id).status, outbox_row(fine.id).status) == ("failed", "sent")


def test_nothing_due_is_a_successful_run(app, drive, smtp, runner):
    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 0
    assert result.stdout.strip() == "sent 0, retrying 0, failed 0, canceled 0"
    assert db.session.scalars(select(OutboxEmail)).all() == []
