"""Helpers shared by the offline entry, import, drive settings and operations tests."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import DonorDetails, drive_progress, record_offline_donation
from donation_drive.models import Donation, DonationEvent, Drive, utcnow

from .. import conftest

ADMIN_EMAIL = conftest.ADMIN_EMAIL


def csrf_token(client) -> str:
    """The session's CSRF token, read from an admin page as a browser would."""
    return conftest.csrf_token_from(client.get("/admin/drives").get_data(as_text=True))


def post_form(client, url: str, data: dict, **kwargs):
    return client.post(url, data={"csrf_token": csrf_token(client), **data}, **kwargs)


def yesterday() -> str:
    return (utcnow() - timedelta(days=1)).date().isoformat()


def check_entry(**overrides: str) -> dict[str, str]:
    """The offline entry form filled in for a $100 check."""
    return {
        "drive": "eoy",
        "method": "check",
        "amount": "100.00",
        "received_at": yesterday(),
        "donor_name": "Ada Lovelace",
        "donor_email": "ada@example.org",
        "reference": "1042",
        "send_receipt": "y",
        **overrides,
    }


def raised(slug: str = "eoy") -> int:
    return drive_progress(slug).raised_amount


def donations() -> list[Donation]:
    return list(
        db.session.scalars(
            select(Donation).order_by(Donation.id).execution_options(populate_existing=True)
        )
    )


def events(donation_id: int) -> list[DonationEvent]:
    return list(
        db.session.scalars(
            select(DonationEvent)
            .where(DonationEvent.donation_id == donation_id)
            .order_by(DonationEvent.id)
        )
    )


def record_check(drive: Drive, amount: int = 10_000, **donor: str) -> Donation:
    """A check recorded by someone else, for the correction tests to act on."""
    return record_offline_donation(
        drive,
        amount=amount,
        method="check",
        received_at=utcnow() - timedelta(days=2),
        entered_by="treasurer@example.org",
        donor=DonorDetails(**({"name": "Grace Hopper", "email": "grace@example.org"} | donor)),
        reference="2001",
    )


def upload_csv(client, content: str | bytes, filename: str = "donations.csv", **form: str):
    """Post a CSV file to the import form, as a browser would."""
    raw = content.encode() if isinstance(content, str) else content
    data = {
        "csrf_token": csrf_token(client),
        "drive": "eoy",
        "format": "auto",
        "date_order": "auto",
        "file": (io.BytesIO(raw), filename),
        **form,
    }
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def confirm_token(preview_html: str) -> str:
    match = re.search(r'name="token"[^>]*value="([^"]+)"', preview_html)
    assert match, "the preview offers no confirmation"
    return match.group(1)


def confirm_import(client, preview_html: str):
    return post_form(client, "/admin/import/confirm", {"token": confirm_token(preview_html)})
