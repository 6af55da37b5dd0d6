"""IPN messages as PayPal's IPN and PDT variable reference describes them, and a checker
for the variables Donation Drive relies on.

PayPal publishes no machine-readable schema for IPN; the rules below are transcribed from
the variable reference (developer.paypal.com/api/nvp-soap/ipn/IPNandPDTVariables/):
``payment_date`` is ``HH:MM:SS Mmm DD, YYYY PST`` (or PDT), money is a plain decimal
(negative for refunds and reversals), a refund, reversal or cancelled reversal names the
original payment in ``parent_txn_id`` and carries a ``reason_code``, a pending payment
carries a ``pending_reason``.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

PAYPAL_TIME = ZoneInfo("America/Los_Angeles")

PAYMENT_STATUSES = {
    "Canceled_Reversal",
    "Completed",
    "Created",
    "Denied",
    "Expired",
    "Failed",
    "Pending",
    "Refunded",
    "Reversed",
    "Processed",
    "Voided",
}
TXN_TYPES = {"web_accept", "donation", "cart", "express_checkout", "send_money", "subscr_payment"}
PENDING_REASONS = {
    "address",
    "authorization",
    "delayed_disbursement",
    "echeck",
    "intl",
    "multi_currency",
    "order",
    "paymentreview",
    "regulatory_review",
    "unilateral",
    "upgrade",
    "verify",
    "other",
}
REASON_CODES = {
    "adjustment_reversal",
    "admin_fraud_reversal",
    "admin_reversal",
    "buyer-complaint",
    "chargeback",
    "chargeback_reimbursement",
    "chargeback_settlement",
    "guarantee",
    "other",
    "refund",
    "regulatory_block",
    "regulatory_reject",
    "regulatory_review_exceeding_sla",
    "unauthorized_claim",
    "unauthorized_spoof",
}
CHARSETS = {"UTF-8", "windows-1252", "ISO-8859-1", "US-ASCII"}

REQUIRED = (
    "txn_id",
    "payment_status",
    "mc_gross",
    "mc_currency",
    "receiver_email",
    "business",
    "payer_email",
    "payment_date",
    "ipn_track_id",
    "charset",
    "notify_version",
    "verify_sign",
)
PAYMENT_DATE = re.compile(
    r"^\d{2}:\d{2}:\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2}, \d{4} P[SD]T$"
)
MONEY = re.compile(r"^-?\d+(\.\d{1,2})?$")
TXN_ID = re.compile(r"^[A-Z0-9]{17}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def payment_date(moment: datetime) -> str:
    """PayPal's IPN date format, e.g. ``20:12:59 Jan 13, 2009 PST``."""
    local = moment.astimezone(PAYPAL_TIME)
    return local.strftime("%H:%M:%S %b %d, %Y ") + (local.tzname() or "PST")


def check_ipn(fields: dict[str, str]) -> list[str]:
    """What is wrong with an IPN message (empty if nothing)."""
    problems = [f"{name} is missing" for name in REQUIRED if not fields.get(name)]
    status = fields.get("payment_status", "")
    if status and status not in PAYMENT_STATUSES:
        problems.append(f"payment_status {status!r} is not one PayPal documents")
    for name in ("txn_id", "parent_txn_id"):
        if fields.get(name) and not TXN_ID.match(fields[name]):
            problems.append(f"{name} {fields[name]!r} is not a 17-character transaction id")
    for name in ("mc_gross", "mc_fee"):
        if fields.get(name) and not MONEY.match(fields[name]):
            problems.append(f"{name} {fields[name]!r} is not a decimal amount")
    if fields.get("mc_currency") and not re.match(r"^[A-Z]{3}$", fields["mc_currency"]):
        problems.append(f"mc_currency {fields['mc_currency']!r} is not a currency code")
    if fields.get("payment_date") and not PAYMENT_DATE.match(fields["payment_date"]):
        problems.append(f"payment_date {fields['payment_date']!r} is not in PayPal's format")
    for name in ("receiver_email", "business", "payer_email"):
        if fields.get(name) and not EMAIL.match(fields[name]):
            problems.append(f"{name} {fields[name]!r} is not an email address")
    if fields.get("txn_type") and fields["txn_type"] not in TXN_TYPES:
        problems.append(f"txn_type {fields['txn_type']!r} is not one PayPal documents")
    if fields.get("charset") and fields["charset"] not in CHARSETS:
        problems.append(f"charset {fields['charset']!r} is not one PayPal sends")
    gross = fields.get("mc_gross", "")
    if status in ("Refunded", "Reversed", "Canceled_Reversal"):
        if not fields.get("parent_txn_id"):
            problems.append(f"a {status} message has no parent_txn_id")
        if fields.get("reason_code") not in REASON_CODES:
            problems.append(f"a {status} message has reason_code {fields.get('reason_code')!r}")
    if status in ("Refunded", "Reversed") and gross and not gross.startswith("-"):
        problems.append(f"a {status} message has a positive mc_gross {gross!r}")
    if status in ("Completed", "Pending", "Canceled_Reversal") and gross.startswith("-"):
        problems.append(f"a {status} message has a negative mc_gross {gross!r}")
    if status == "Pending" and fields.get("pending_reason") not in PENDING_REASONS:
        problems.append(f"a Pending message has pending_reason {fields.get('pending_reason')!r}")
    if status in ("Completed", "Pending") and not fields.get("txn_type"):
        problems.append(f"a {status} payment has no txn_type")
    return problems


def encode(fields: dict[str, str]) -> bytes:
    """The form-encoded body PayPal posts, in the message's own charset."""
    charset = fields.get("charset", "UTF-8")
    return urlencode(list(fields.items()), encoding=charset).encode("ascii")
