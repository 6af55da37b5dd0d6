"""Everything that happened to one donation: its audit rows, its emails, the
provider events that mention its payment and the reconciliation findings about it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, or_, select

from ...errors import NotFound
from ...extensions import db
from ...models import Donation, DonationEvent, OutboxEmail, ReconcileFinding, WebhookEvent

HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class DonationHistory:
    donation: Donation
    events: list[DonationEvent]  # oldest first
    emails: list[OutboxEmail]  # oldest first
    webhooks: list[WebhookEvent]  # by arrival
    findings: list[ReconcileFinding]


def _webhooks_mentioning(donation: Donation) -> list[WebhookEvent]:
    """Provider events whose payload names this payment anywhere (the payment intent
    itself, or a charge, refund or dispute pointing at it).

    The payment id is matched as a whole JSON string ("pi_123" does not find
    "pi_1234"). This reads the provider's events without an index (there is no column
    for the payment id), which one detail page can afford.
    """
    if not donation.provider or not donation.provider_ref:
        return []
    quoted = f'"{donation.provider_ref}"'
    return list(
        db.session.scalars(
            select(WebhookEvent)
            .where(
                WebhookEvent.provider == donation.provider,
                cast(WebhookEvent.payload, Text).contains(quoted, autoescape=True),
            )
            .order_by(WebhookEvent.received_at, WebhookEvent.id)
            .limit(HISTORY_LIMIT)
        )
    )


def donation_history(donation_id: int) -> DonationHistory:
    """The donation and its history. Raises ``NotFound``."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", "donation")
    events = db.session.scalars(
        select(DonationEvent)
        .where(DonationEvent.donation_id == donation.id)
        .order_by(DonationEvent.id)
        .limit(HISTORY_LIMIT)
    )
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.donation_id == donation.id)
        .order_by(OutboxEmail.id)
        .limit(HISTORY_LIMIT)
    )
    about = [ReconcileFinding.donation_id == donation.id]
    if donation.provider_ref:
        about.append(ReconcileFinding.provider_ref == donation.provider_ref)
    findings = db.session.scalars(
        select(ReconcileFinding)
        .where(or_(*about))
        .order_by(ReconcileFinding.id)
        .limit(HISTORY_LIMIT)
    )
    return DonationHistory(
        donation=donation,
        events=list(events),
        emails=list(emails),
        webhooks=_webhooks_mentioning(donation),
        findings=list(findings),
    )
