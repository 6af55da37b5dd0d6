"""Typed SQLAlchemy 2.0 models. The schema changes only through ``migrations/``."""

from .breakdown import DriveAmountCount, DriveHourTotal
from .donation import OFFLINE_METHODS, Donation, DonationEvent, Method, Status, counted_amount
from .donor import Donor, DonorEvent, DriveDonor, normalize_email
from .drive import WIDGET_LAYOUTS, WIDGET_THEMES, Drive
from .monthly import GiftStatus, Interval, MonthlyGift, MonthlyGiftEvent
from .operations import (
    AdminSession,
    AdminUser,
    JobLease,
    OutboxEmail,
    PaymentAttempt,
    ReconcileFinding,
    ReconcileRun,
    WebhookEvent,
)
from .paypal import PayPalAdjustment
from .staged_import import StagedImport
from .types import UTCDateTime, utcnow

__all__ = [
    "OFFLINE_METHODS",
    "WIDGET_LAYOUTS",
    "WIDGET_THEMES",
    "AdminSession",
    "AdminUser",
    "Donation",
    "DonationEvent",
    "Donor",
    "DonorEvent",
    "Drive",
    "DriveAmountCount",
    "DriveDonor",
    "DriveHourTotal",
    "GiftStatus",
    "Interval",
    "JobLease",
    "Method",
    "MonthlyGift",
    "MonthlyGiftEvent",
    "OutboxEmail",
    "PayPalAdjustment",
    "PaymentAttempt",
    "ReconcileFinding",
    "ReconcileRun",
    "StagedImport",
    "Status",
    "UTCDateTime",
    "WebhookEvent",
    "counted_amount",
    "normalize_email",
    "utcnow",
]
