"""Structured logs with request ids, and Prometheus metrics.

Every request gets an id: the caller's ``X-Request-ID`` when it sends a sane one (a
proxy in front usually does), else a fresh one. The id is echoed in the response and
stamped on every log line written while the request runs. Logs go to stderr, one
line per record: plain text for a person (stderr is a terminal, or the development
settings), else one JSON object per line for a log collector; ``LOG_FORMAT=json`` or
``text`` forces one.

The counters other modules bump live here, each behind a one-line helper
(``count_webhook_failure``, ``count_email_failure``, ``count_reconcile_finding``),
so the metric names and labels are defined once; donations are counted by
listening to the ledger's ``totals_changed`` (``count_donations_recorded``).
Prometheus metrics are process-wide by nature; under several gunicorn workers set
``PROMETHEUS_MULTIPROC_DIR`` (before the app is imported) and ``/metrics`` adds up
every worker's numbers. The metrics are created on first use (``metrics()``), and
``prometheus_client`` imported then: a CLI command that records nothing does not pay
for it at start-up.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from flask import Flask, Response, current_app, has_request_context, request

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

REQUEST_ID_HEADER = "X-Request-ID"
# Ids a proxy or a client may hand us: short, printable, no spaces or quotes, so
# they are safe to echo in a header and to write in a log line.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_ENVIRON_ID = "donation_drive.request_id"
_ENVIRON_STARTED = "donation_drive.request_started"


@dataclass(frozen=True, slots=True)
class Metrics:
    requests: Counter
    request_seconds: Histogram
    donations_recorded: Counter
    webhook_failures: Counter
    email_failures: Counter
    reconcile_findings: Counter


_metrics: Metrics | None = None
_metrics_lock = threading.Lock()


def metrics() -> Metrics:
    """This process's metrics, registered with Prometheus on the first call (once,
    whichever of a worker's threads makes it: a second registration would raise)."""
    global _metrics
    if _metrics is None:
        with _metrics_lock:
            if _metrics is None:
                _metrics = _create_metrics()
    return _metrics


def _create_metrics() -> Metrics:
    from prometheus_client import Counter, Histogram  # lazily: see the module docstring

    return Metrics(
        requests=Counter(
            "donation_drive_http_requests_total",
            "HTTP requests answered, by endpoint, method and status code.",
            ["endpoint", "method", "status"],
        ),
        request_seconds=Histogram(
            "donation_drive_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint.",
            ["endpoint"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        ),
        donations_recorded=Counter(
            "donation_drive_donations_recorded_total",
            "Donations that started counting toward a drive's total, by payment method.",
            ["method"],
        ),
        webhook_failures=Counter(
            "donation_drive_webhook_failures_total",
            "Webhook deliveries refused or events that failed to process, by provider and reason.",
            ["provider", "reason"],
        ),
        email_failures=Counter(
            "donation_drive_email_failures_total",
            "Email delivery attempts that failed, by kind and whether a retry is due.",
            ["kind", "outcome"],
        ),
        reconcile_findings=Counter(
            "donation_drive_reconcile_findings_total",
            "Differences reconciliation found between the provider and the ledger, by kind.",
            ["kind"],
        ),
    )


# -- one-line helpers for other modules ---------------------------------------------


def count_donations_recorded(
    _app: Flask, *, counted_methods: tuple[str, ...] = (), **_: object
) -> None:
    """Receiver of the ledger's ``totals_changed`` (after its commit): one for each
    gift that started counting, by its payment method."""
    for method in counted_methods:
        metrics().donations_recorded.labels(method=str(method)).inc()


def count_webhook_failure(reason: str, provider: str) -> None:
    """A webhook delivery was refused (bad signature, bad payload) or its event
    failed to process. ``reason`` is a short fixed word, never an error message."""
    metrics().webhook_failures.labels(provider=provider, reason=reason).inc()


def count_email_failure(kind: str, *, will_retry: bool) -> None:
    """An email delivery attempt failed; ``will_retry`` False means it gave up."""
    metrics().email_failures.labels(kind=kind, outcome="retry" if will_retry else "gave_up").inc()


def count_reconcile_finding(kind: str) -> None:
    """Reconciliation recorded a finding of this kind."""
    metrics().reconcile_findings.labels(kind=kind).inc()


# -- request ids and logs -------------------------------------------------------------


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if not has_request_context():
        return None
    # Kept on the request, not on ``g``: an app context (and its ``g``) can outlive
    # one request, as it does in tests and CLI commands.
    return request_id_of(request.environ)


def request_id_of(environ: dict) -> str:
    """The id of the request ``environ`` describes: the caller's sane
    ``X-Request-ID``, else a fresh one, chosen once and kept in the environ."""
    request_id = environ.get(_ENVIRON_ID)
    if request_id is None:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)
        environ[_ENVIRON_ID] = request_id
    return request_id


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` on every record written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


# Built once: json.dumps with any non-default option builds an encoder per call, and
# the access log writes a line per request.
_JSON_LINE = json.JSONEncoder(default=str, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, any
    ``extra`` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _JSON_LINE.encode(entry)


class TextFormatter(logging.Formatter):
    """One line for a person: time, level, logger, the request id during a request,
    the message (and the traceback when there is one)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().formatMessage(record)


LOG_FORMATS = ("auto", "json", "text")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def choose_log_format(setting: str, stream: TextIO, *, development: bool) -> str:
    """``"json"`` or ``"text"``: what ``setting`` (``LOG_FORMAT``) names, or for
    ``"auto"`` text when a person reads ``stream`` (a terminal, or development) and
    JSON otherwise. Raises ``ValueError`` naming the setting for anything else."""
    choice = (setting or "auto").strip().lower()
    if choice not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {setting!r}")
    if choice != "auto":
        return choice
    return "text" if development or _is_terminal(stream) else "json"


def configure_logging(
    level: str = "INFO",
    log_format: str = "auto",
    *,
    development: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr), in the format
    ``choose_log_format`` picks; idempotent (the handler is replaced, never doubled,
    when several apps are built in one process)."""
    stream = stream or sys.stderr
    chosen = choose_log_format(log_format, stream, development=development)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_donation_drive", False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream)
    handler._donation_drive = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # The SDK logs every API call at INFO, and the scheduler every job it starts and
    # finishes (every few seconds in development); both would drown the log.
    for chatty in ("stripe", "apscheduler.executors"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    return handler


access_log = logging.getLogger("donation_drive.access")


def start_timing(environ: dict) -> None:
    environ[_ENVIRON_STARTED] = time.perf_counter()


def _start_request() -> None:
    start_timing(request.environ)
    current_request_id()


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id_of(request.environ)
    record_request(
        request.environ,
        # Endpoint names, not paths, keep the label set small whatever URLs are requested.
        endpoint=request.endpoint or "unmatched",
        path=request.path,
        status=response.status_code,
        access_log_on=current_app.config.get("ACCESS_LOG", True),
    )
    return response


@functools.lru_cache(maxsize=512)
def _request_metrics(endpoint: str, method: str, status: int) -> tuple[Counter, Histogram]:
    """The request counter and timer of one label set, looked up once: ``labels()``
    checks its arguments and takes a lock on every call. Endpoint names, methods and
    status codes are few; the bound is for methods a client makes up."""
    recorded = metrics()
    return (
        recorded.requests.labels(endpoint=endpoint, method=method, status=status),
        recorded.request_seconds.labels(endpoint=endpoint),
    )


def record_request(
    environ: dict, *, endpoint: str, path: str, status: int, access_log_on: bool
) -> None:
    """Count an answered request in the metrics and write its access log line: for
    every answer, whether Flask wrote it or the widget's kept answers
    (``widget.response_cache``) replayed it."""
    started = environ.get(_ENVIRON_STARTED)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    method = environ.get("REQUEST_METHOD", "GET")
    counted, timed = _request_metrics(endpoint, method, status)
    counted.inc()
    timed.observe(elapsed)
    if access_log_on:
        access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote_addr": environ.get("REMOTE_ADDR"),
                # Named here: a replayed answer is written outside any request context.
                "request_id": request_id_of(environ),
            },
        )


# -- /metrics -------------------------------------------------------------------------


def metrics_text(multiproc_dir: str | None) -> bytes:
    """The exposition text: this process's registry, or every worker's numbers added
    up from ``multiproc_dir`` in multi-process mode."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

    metrics()  # every family listed, even those nothing has bumped yet
    if multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_view() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    presented = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        return Response("metrics need a bearer token\n", 401, mimetype="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST

    body = metrics_text(current_app.config.get("PROMETHEUS_MULTIPROC_DIR"))
    response = Response(body, mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def serve_worker_metrics(app: Flask) -> object | None:
    """Expose this process's metrics on ``WORKER_METRICS_ADDRESS:WORKER_METRICS_PORT``
    (for ``donation-drive worker``, which has no web server of its own and bumps the
    email and reconcile counters). Returns the server, or None when the port is 0."""
    port = int(app.config.get("WORKER_METRICS_PORT") or 0)
    if not port:
        return None
    from prometheus_client import start_http_server

    address = app.config.get("WORKER_METRICS_ADDRESS") or "127.0.0.1"
    server, _thread = start_http_server(port, addr=address)
    logging.getLogger(__name__).info("worker metrics on http://%s:%s/metrics", address, port)
    return server


def init_observability(app: Flask) -> None:
    """Logging, request ids, request metrics and the ``/metrics`` endpoint."""
    configure_logging(
        app.config.get("LOG_LEVEL", "INFO"),
        app.config.get("LOG_FORMAT", "auto"),
        development=app.config.get("ENV_NAME") == "development",
    )
    multiproc_dir = app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:  # prometheus_client writes there on the first request; must exist
        Path(multiproc_dir).mkdir(parents=True, exist_ok=True)
    # First in line, so the timer starts before CSRF or rate-limit checks may answer.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
