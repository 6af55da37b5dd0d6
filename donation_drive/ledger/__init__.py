"""The ledger: the one place that changes money.

``donations`` records gifts, ``adjustments`` changes them (refunds, disputes, voids,
corrections), ``transactions`` is the discipline both follow, ``totals`` is the
one source of a drive's figures and ``schedule`` says when a drive takes gifts.
"""

from .adjustments import (
    apply_provider_dispute,
    apply_provider_refund,
    refund_offline_donation,
    update_offline_donation,
    void_donation,
)
from .donations import (
    DonorDetails,
    RecordResult,
    attach_provider_ref,
    create_pending_card_donation,
    mark_payment_unsuccessful,
    record_offline_donation,
    record_provider_payment,
)
from .drives import DriveKey, create_drive, get_drive, get_drive_key, list_drives, update_drive
from .schedule import DriveState, Schedule, current_drive, schedule_of
from .totals import (
    Progress,
    cached_progress,
    drive_progress,
    invalidate_progress,
    recount_drive,
)
from .transactions import find_provider_donation

__all__ = [
    "DonorDetails",
    "DriveKey",
    "DriveState",
    "Progress",
    "RecordResult",
    "Schedule",
    "apply_provider_dispute",
    "apply_provider_refund",
    "attach_provider_ref",
    "cached_progress",
    "create_drive",
    "create_pending_card_donation",
    "current_drive",
    "drive_progress",
    "find_provider_donation",
    "get_drive",
    "get_drive_key",
    "invalidate_progress",
    "list_drives",
    "mark_payment_unsuccessful",
    "record_offline_donation",
    "record_provider_payment",
    "recount_drive",
    "refund_offline_donation",
    "schedule_of",
    "update_drive",
    "update_offline_donation",
    "void_donation",
]
