"""Signed event intake: ``POST /webhooks/stripe`` verifies, stores (once per event
id) and then applies each Stripe event to the ledger. See ``intake`` for the
statuses admins see and ``handlers`` for what each event type does."""

from .intake import count_by_status, events_needing_attention, receive_event

__all__ = ["count_by_status", "events_needing_attention", "receive_event"]
