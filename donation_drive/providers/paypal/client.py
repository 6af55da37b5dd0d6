"""One PayPal REST client per app, built from the app's settings.

It gets an OAuth access token with the client id and secret
(``POST /v1/oauth2/token``, client credentials), keeps it until shortly before
PayPal says it expires, and gets a new one when PayPal answers 401 (a token revoked
early). Every call has a timeout. Retries (tenacity) happen only where repeating is
harmless: GETs, and POSTs that carry a ``PayPal-Request-Id`` (PayPal answers a
repeated id with the first result instead of acting twice). ``requests`` is imported
on first use, not with the app: most commands and requests never call PayPal.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ...security import paypal_enabled
from .errors import PayPalNotConfigured, PayPalRejected, PayPalUnavailable

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

_EXTENSION_KEY = "donation_drive.paypal_client"
TOKEN_MARGIN_SECONDS = 120  # renew this long before PayPal's stated expiry
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PayPalSettings:
    client_id: str
    client_secret: str
    webhook_id: str
    receiver_email: str
    api_base: str
    js_url: str
    ipn_verify_url: str
    timeout: float


def is_enabled() -> bool:
    """PayPal is configured (all of its settings are set; see ``security``)."""
    return paypal_enabled(current_app.config)


def settings() -> PayPalSettings:
    config = current_app.config
    if not paypal_enabled(config):
        raise PayPalNotConfigured("PayPal is not configured here", "provider")
    return PayPalSettings(
        client_id=config["PAYPAL_CLIENT_ID"],
        client_secret=config["PAYPAL_CLIENT_SECRET"],
        webhook_id=config["PAYPAL_WEBHOOK_ID"],
        receiver_email=config["PAYPAL_RECEIVER_EMAIL"],
        api_base=str(config["PAYPAL_API_BASE"]).rstrip("/"),
        js_url=config["PAYPAL_JS_URL"],
        ipn_verify_url=config["PAYPAL_IPN_VERIFY_URL"],
        timeout=float(config.get("PAYPAL_TIMEOUT_SECONDS") or 20),
    )


class _Transient(Exception):
    """A failure worth one more try (connection refused, timeout, 5xx)."""


class PayPalClient:
    def __init__(self, current: PayPalSettings) -> None:
        import requests  # lazily: see the module docstring

        self.settings = current
        self.http: requests.Session = requests.Session()
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    # -- OAuth ---------------------------------------------------------------------
    def _fetch_token(self) -> None:
        import requests

        current = self.settings
        try:
            response = self.http.post(
                f"{current.api_base}/v1/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(current.client_id, current.client_secret),
                headers={"Accept": "application/json"},
                timeout=current.timeout,
            )
        except requests.RequestException as exc:
            raise _Transient(f"PayPal token request failed: {exc}") from None
        if response.status_code >= 500:
            raise _Transient(f"PayPal token request answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise PayPalUnavailable(
                f"PayPal refused the client id and secret (HTTP {response.status_code}); "
                "check PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET"
            )
        body = response.json()
        self._token = str(body["access_token"])
        lifetime = int(body.get("expires_in") or 0)
        self._token_expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 30)

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() >= self._token_expires:
                self._fetch_token()
            assert self._token is not None
            return self._token

    # -- calls ---------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        request_id: str | None = None,
        prefer_representation: bool = True,
    ) -> dict[str, Any]:
        """Call the REST API and return the JSON body. Raises ``PayPalRejected`` for a
        4xx PayPal gave a reason for, ``PayPalUnavailable`` when it cannot be reached."""
        retryable = method == "GET" or request_id is not None
        retrying = Retrying(
            stop=stop_after_attempt(ATTEMPTS if retryable else 1),
            wait=wait_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            return retrying(
                self._call_once, method, path, json, params, request_id, prefer_representation
            )
        except _Transient as exc:
            log.warning("PayPal %s %s failed: %s", method, path, exc)
            raise PayPalUnavailable(
                "PayPal is not answering right now. Please try again in a minute."
            ) from None

    def _call_once(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        params: dict[str, Any] | None,
        request_id: str | None,
        prefer_representation: bool,
    ) -> dict[str, Any]:
        import requests

        for renew in (False, True):
            headers = {
                "Authorization": f"Bearer {self.token(renew=renew)}",
                "Accept": "application/json",
            }
            if json is not None:
                headers["Content-Type"] = "application/json"
            if request_id is not None:
                headers["PayPal-Request-Id"] = request_id
            if prefer_representation and method == "POST":
                headers["Prefer"] = "return=representation"
            try:
                response = self.http.request(
                    method,
                    f"{self.settings.api_base}{path}",
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self.settings.timeout,
                )
            except requests.RequestException as exc:
                raise _Transient(str(exc)) from None
            if response.status_code == 401 and not renew:
                continue  # the token was revoked or expired early: one new token
            break
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}")
        try:
            body = response.json() if response.content else {}
        except ValueError:
            raise _Transient(f"HTTP {response.status_code} with a body that is not JSON") from None
        if response.status_code >= 400:
            raise _rejection(response.status_code, body)
        return body if isinstance(body, dict) else {}


def _rejection(status: int, body: Any) -> PayPalRejected:
    body = body if isinstance(body, dict) else {}
    details = body.get("details") if isinstance(body.get("details"), list) else []
    first = details[0] if details and isinstance(details[0], dict) else {}
    issue = first.get("issue") or body.get("name")
    text = first.get("description") or body.get("message") or f"HTTP {status}"
    return PayPalRejected(f"PayPal refused the request ({issue}): {text}", issue=issue)


def paypal_client() -> PayPalClient:
    """The current app's client (token cache included), rebuilt if the settings changed."""
    current = settings()
    cached = current_app.extensions.get(_EXTENSION_KEY)
    if cached is not None and cached.settings == current:
        return cached
    client = PayPalClient(current)
    current_app.extensions[_EXTENSION_KEY] = client
    return client
