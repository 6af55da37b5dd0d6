"""A privacy request reaches the stored provider events too: a payment's event
payload holds the donor's email and name (receipt_email, billing details). On the
ledger's ``donor_erased`` those values are replaced in the stored payloads; the
event ids, types, amounts and statuses stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import String, cast, func, or_, select

from ..extensions import db
from ..models import WebhookEvent

if TYPE_CHECKING:
    from ..ledger.signals import Erasure

ERASED = "[erased]"


def _scrub(value: object, texts: set[str]) -> tuple[object, bool]:
    if isinstance(value, str):
        if value.strip().casefold() in texts:
            return ERASED, True
        return value, False
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            out[key], hit = _scrub(item, texts)
            changed |= hit
        return out, changed
    if isinstance(value, list):
        changed = False
        items = []
        for item in value:
            new, hit = _scrub(item, texts)
            items.append(new)
            changed |= hit
        return items, changed
    return value, False


def on_donor_erased(_app: Flask, *, erasure: Erasure, **_: object) -> dict[str, int]:
    emails = sorted({text.strip().casefold() for text in erasure.texts if "@" in text})
    if not emails:
        return {"webhook_events": 0}
    texts = {text.strip().casefold() for text in erasure.texts}
    payload = func.lower(cast(WebhookEvent.payload, String))
    events = db.session.scalars(
        select(WebhookEvent).where(or_(*(payload.contains(email) for email in emails)))
    ).all()
    cleared = 0
    for event in events:
        scrubbed, changed = _scrub(event.payload, texts)
        if changed:
            event.payload = scrubbed  # type: ignore[assignment]
            cleared += 1
    db.session.flush()
    return {"webhook_events": cleared}
