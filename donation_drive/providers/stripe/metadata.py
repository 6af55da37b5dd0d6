"""The metadata every PaymentIntent we create carries, so that a payment seen
anywhere (a webhook, a reconciliation listing, the Stripe Dashboard) names its
drive and the checkout's pending donation. The keys are a contract shared with
reconciliation: change them only together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DRIVE_SLUG_KEY = "drive_slug"
DONATION_ID_KEY = "donation_id"


@dataclass(frozen=True, slots=True)
class PaymentMetadata:
    drive_slug: str | None
    donation_id: int | None

    @property
    def is_ours(self) -> bool:
        """True when the payment was started by a Donation Drive checkout."""
        return bool(self.drive_slug)

    def as_stripe(self) -> dict[str, str]:
        metadata = {}
        if self.drive_slug:
            metadata[DRIVE_SLUG_KEY] = self.drive_slug
        if self.donation_id is not None:
            metadata[DONATION_ID_KEY] = str(self.donation_id)
        return metadata


def payment_metadata(drive_slug: str, donation_id: int) -> PaymentMetadata:
    return PaymentMetadata(drive_slug=drive_slug, donation_id=donation_id)


def read_metadata(metadata: Mapping[str, object] | None) -> PaymentMetadata:
    """Parse a payment's metadata; missing or malformed values become None."""
    metadata = metadata or {}
    slug = metadata.get(DRIVE_SLUG_KEY)
    raw_id = metadata.get(DONATION_ID_KEY)
    try:
        donation_id = int(str(raw_id)) if raw_id is not None else None
    except ValueError:
        donation_id = None
    if donation_id is not None and donation_id <= 0:
        donation_id = None
    return PaymentMetadata(
        drive_slug=str(slug)[:80] if isinstance(slug, str) and slug else None,
        donation_id=donation_id,
    )
