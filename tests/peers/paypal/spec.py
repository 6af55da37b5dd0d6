"""PayPal's published OpenAPI documents, loaded once per process, and validation of
requests, responses and webhook events against them with openapi-core.

Adjustments made in memory (the files stay as PayPal publishes them):
- every document's ``servers`` becomes ``/`` so a loopback address matches (the
  Transaction Search document's server even repeats ``/v1/reporting`` that its paths
  already carry);
- openapi-core's check of the document itself is skipped: PayPal's email pattern uses
  ``\\x`` escapes that openapi-spec-validator rejects, which says nothing about requests;
- in the webhooks document the ``event`` schema's ``readOnly`` marks are dropped, because
  ``verify-webhook-signature`` must carry the event exactly as received (PayPal's own
  example request does) and openapi-core refuses read-only properties in a request.
"""

from __future__ import annotations

import json
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

DOCUMENTS = Path(__file__).resolve().parent.parent / "paypal_openapi"

ORDERS = "checkout_orders_v2.json"
PAYMENTS = "payments_payment_v2.json"
WEBHOOKS = "notifications_webhooks_v1.json"
REPORTING = "reporting_transactions_v1.json"
ALL_DOCUMENTS = (ORDERS, PAYMENTS, WEBHOOKS, REPORTING)

_lock = threading.Lock()


def _strip_read_only(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("readOnly", None)
        for value in node.values():
            _strip_read_only(value)
    elif isinstance(node, list):
        for value in node:
            _strip_read_only(value)


@cache
def document(name: str) -> OpenAPI:
    """The named document as an openapi-core ``OpenAPI`` (loaded once per process)."""
    with _lock:
        spec = json.loads((DOCUMENTS / name).read_text(encoding="utf-8"))
        spec["servers"] = [{"url": "/"}]
        if name == WEBHOOKS:
            _strip_read_only(spec["components"]["schemas"]["event"])
        return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def load_all() -> None:
    for name in ALL_DOCUMENTS:
        document(name)


@dataclass(frozen=True)
class Message:
    """An HTTP exchange as openapi-core sees it."""

    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


def _describe(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        detail = getattr(cause, "schema_errors", None)
        if detail:
            parts.extend(f"  - {getattr(e, 'json_path', '')} {e.message}" for e in detail)
        else:
            parts.append(f"  caused by {type(cause).__name__}: {cause}")
        cause = cause.__cause__
    return "\n".join(parts)


def _request(message: Message) -> MockRequest:
    headers = {"Authorization": "Bearer peer", **(message.headers or {})}
    return MockRequest(
        "http://127.0.0.1",
        message.method.lower(),
        message.path,
        args=_query_args(message.query),
        data=message.body,
        headers=headers,
        content_type=message.content_type,
    )


def _query_args(query: str) -> Any:
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import ImmutableMultiDict

    return ImmutableMultiDict(parse_qsl(query, keep_blank_values=True))


def validate_request(name: str, message: Message) -> str | None:
    """None if ``message`` is a request the document allows, else what is wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Unsupported scheme type": OAuth2 is checked by the peer
        try:
            document(name).validate_request(_request(message))
        except Exception as error:
            return _describe(error)
    return None


def validate_response(
    name: str, request: Message, status: int, body: bytes, content_type: str = "application/json"
) -> str | None:
    """None if ``body`` with ``status`` is a response the document allows to ``request``."""
    response = MockResponse(body, status_code=status, content_type=content_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            document(name).validate_response(_request(request), response)
        except Exception as error:
            return _describe(error)
    return None


def validate_resource(kind: str, resource: dict[str, Any]) -> str | None:
    """A capture or refund as the payments document's show-capture / show-refund
    responses describe it (the ``resource`` of a PAYMENT.CAPTURE.* event)."""
    path = {"capture": "/v2/payments/captures/", "refund": "/v2/payments/refunds/"}[kind]
    request = Message("GET", path + str(resource.get("id", "X")))
    return validate_response(PAYMENTS, request, 200, json.dumps(resource).encode())


def validate_event(event: dict[str, Any]) -> str | None:
    """A webhook event envelope as the webhooks document's show-event response
    describes it, and its resource as the payments document describes a capture or refund."""
    request = Message("GET", "/v1/notifications/webhooks-events/" + str(event.get("id", "X")))
    problem = validate_response(WEBHOOKS, request, 200, json.dumps(event).encode())
    if problem:
        return f"event envelope: {problem}"
    kind = event.get("resource_type")
    if kind not in ("capture", "refund"):
        return f"event resource_type {kind!r} is neither capture nor refund"
    problem = validate_resource(kind, event.get("resource") or {})
    return f"event resource ({kind}): {problem}" if problem else None
