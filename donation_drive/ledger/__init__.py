"""The ledger: the one place that changes money. See ``donations`` and ``totals``."""

from .donations import (
    DonorDetails,
    RecordResult,
    apply_provider_dispute,
    apply_provider_refund,
    attach_provider_ref,
    create_pending_card_donation,
    find_provider_donation,
    mark_payment_unsuccessful,
    record_offline_donation,
    record_provider_payment,
    refund_offline_donation,
    update_offline_donation,
    void_donation,
)
from .drives import create_drive, get_drive, list_drives, update_drive
from .totals import (
    Progress,
    cached_progress,
    drive_progress,
    invalidate_progress,
    recount_drive,
)

__all__ = [
    "DonorDetails",
    "Progress",
    "RecordResult",
    "apply_provider_dispute",
    "apply_provider_refund",
    "attach_provider_ref",
    "cached_progress",
    "create_drive",
    "create_pending_card_donation",
    "drive_progress",
    "find_provider_donation",
    "get_drive",
    "invalidate_progress",
    "list_drives",
    "mark_payment_unsuccessful",
    "record_offline_donation",
    "record_provider_payment",
    "recount_drive",
    "refund_offline_donation",
    "update_drive",
    "update_offline_donation",
    "void_donation",
]
