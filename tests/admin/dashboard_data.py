"""Donations for the dashboard tests, recorded through the ledger like real ones."""

from __future__ import annotations

from dataclasses import dataclass

from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_dispute,
    apply_provider_refund,
    record_offline_donation,
    record_provider_payment,
    void_donation,
)
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Donation, Drive

TZ = "America/New_York"


def received(day: str, at: str = "12:00") -> object:
    return parse_datetime(f"{day}T{at}:00", "received", tz=TZ)


def offline(
    drive: Drive,
    amount: int,
    method: str = "check",
    day: str = "2026-11-20",
    *,
    name: str | None = None,
    email: str | None = None,
    reference: str | None = None,
    message: str | None = None,
    note: str | None = None,
) -> Donation:
    return record_offline_donation(
        drive,
        amount=amount,
        method=method,
        received_at=received(day),
        entered_by="admin@example.org",
        donor=DonorDetails(name=name, email=email, message=message),
        reference=reference,
        note=note,
        send_receipt=email is not None,
    )


def card(
    drive: Drive,
    amount: int,
    ref: str,
    day: str = "2026-11-20",
    *,
    name: str | None = None,
    email: str | None = None,
    provider: str = "stripe",
    method: str = "card",
) -> Donation:
    return record_provider_payment(
        ProviderPayment(
            provider=provider,
            provider_ref=ref,
            drive=drive,
            amount=amount,
            currency=drive.currency,
            received_at=received(day),
            donor=DonorDetails(name=name, email=email),
            method=method,
        ),
        actor="webhook",
    ).donation


@dataclass(frozen=True)
class Scenario:
    """A small drive with every method, a refund, an open dispute and a void."""

    counted: dict[str, list[int]]  # method -> counted minor units of each gift
    donations: dict[str, Donation]

    @property
    def raised(self) -> int:
        return sum(sum(amounts) for amounts in self.counted.values())

    @property
    def gifts(self) -> list[int]:
        return sorted(a for amounts in self.counted.values() for a in amounts)


def mixed_drive(drive: Drive) -> Scenario:
    refunded = card(drive, 10_000, "pi_refunded", "2026-11-16", name="Ada Lovelace")
    apply_provider_refund("stripe", "pi_refunded", refunded_total=2_500, actor="webhook")
    disputed = card(drive, 5_000, "pi_disputed", "2026-11-17", name="Mallory")
    apply_provider_dispute(
        "stripe",
        "pi_disputed",
        dispute_status="needs_response",
        disputed_amount=5_000,
        actor="webhook",
    )
    voided = offline(drive, 9_999, "check", "2026-11-18", name="Typo Entry")
    void_donation(voided.id, reason="entered twice", actor="admin@example.org")
    donations = {
        "refunded": refunded,
        "disputed": disputed,
        "voided": voided,
        "paypal": card(
            drive,
            25_000,
            "PAYPAL-7XK21",
            "2026-11-18",
            name="Grace Hopper",
            provider="paypal",
            method="paypal",
        ),
        "check": offline(
            drive, 150_000, "check", "2026-11-19", name="Katherine Johnson", reference="check #1042"
        ),
        "gift_card": offline(drive, 10_000, "amazon_gift_card", "2026-11-19", name="Alan Turing"),
        "bitcoin": offline(drive, 100_000, "bitcoin", "2026-11-21", reference="tx 4a5e1e4b"),
        "cash": offline(drive, 2_560, "cash", "2026-11-22", name="Barbara Liskov"),
        "other": offline(
            drive, 7_000, "other", "2026-11-24", name="Donald Knuth", reference="bank transfer"
        ),
    }
    counted = {
        "card": [10_000 - 2_500],  # the disputed card gift is held back entirely
        "paypal": [25_000],
        "check": [150_000],  # the voided check does not count
        "amazon_gift_card": [10_000],
        "bitcoin": [100_000],
        "cash": [2_560],
        "other": [7_000],
    }
    return Scenario(counted=counted, donations=donations)


def attribute_of(html: str, testid: str, attribute: str = "data-amount") -> str:
    """The value of ``attribute`` on the element with ``data-testid=testid``."""
    import re

    match = re.search(rf'<[^>]*data-testid="{testid}"[^>]*>', html)
    assert match, f"no element {testid!r} on the page"
    value = re.search(rf'{attribute}="([^"]*)"', match.group(0))
    assert value, f"element {testid!r} has no {attribute}"
    return value.group(1)


def text_of(html: str, testid: str) -> str:
    import re

    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert match, f"no element {testid!r} on the page"
    return match.group(1).strip()
