"""The ledger: the one place that changes money.

``provider_payments`` counts a payment a provider says succeeded (the one path for
checkout, webhooks, reconciliation and imports), ``donations`` records offline gifts
and checkout's pending rows, ``adjustments`` changes them (refunds, disputes, voids,
corrections), ``transactions`` is the discipline all of them follow, ``signals``
what they announce to those who react, ``totals`` is the one source of a drive's
figures and ``schedule`` says when a drive takes gifts. The ledger imports none of
its callers.
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
    attach_provider_ref,
    create_pending_card_donation,
    mark_payment_unsuccessful,
    record_offline_donation,
)
from .drives import DriveKey, create_drive, get_drive, get_drive_key, list_drives, update_drive
from .provider_payments import ProviderPayment, RecordResult, record_provider_payment
from .recent import RecentGift, approve_message, recent_gifts
from .schedule import DriveState, Schedule, current_drive, schedule_of
from .signals import Gift, gift_counted, gift_refunded, gift_voided, totals_changed
from .totals import (
    DriveFigures,
    Progress,
    check_drive_figures,
    drive_progress,
    recount_drive,
    recount_drive_figures,
)
from .transactions import AlsoWrite, find_provider_donation

__all__ = [
    "AlsoWrite",
    "DonorDetails",
    "DriveFigures",
    "DriveKey",
    "DriveState",
    "Gift",
    "Progress",
    "ProviderPayment",
    "RecentGift",
    "RecordResult",
    "Schedule",
    "apply_provider_dispute",
    "apply_provider_refund",
    "approve_message",
    "attach_provider_ref",
    "check_drive_figures",
    "create_drive",
    "create_pending_card_donation",
    "current_drive",
    "drive_progress",
    "find_provider_donation",
    "get_drive",
    "get_drive_key",
    "gift_counted",
    "gift_refunded",
    "gift_voided",
    "list_drives",
    "mark_payment_unsuccessful",
    "recent_gifts",
    "record_offline_donation",
    "record_provider_payment",
    "recount_drive",
    "recount_drive_figures",
    "refund_offline_donation",
    "schedule_of",
    "totals_changed",
    "update_drive",
    "update_offline_donation",
    "void_donation",
]
