"""The development SMTP sink: aiosmtpd's Maildir handler on the port the development
settings send mail to (``SMTP_HOST``/``SMTP_PORT``, 8025), so receipts are caught
instead of retried forever against a port where nothing listens."""

from __future__ import annotations

import atexit
import errno
import logging
from typing import TYPE_CHECKING

import click
from flask import Flask

from . import dev_mailbox_enabled
from .store import maildir_path

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class SinkUnavailable(RuntimeError):
    """The sink could not start; the message says why and what to do."""


def start_mail_sink(app: Flask) -> Controller | None:
    """Start the sink in a background thread when the settings are development ones
    and point at this machine; None when they do not (production, testing, a real
    mail server in ``SMTP_HOST``). Call ``stop()`` on the result to shut it down.

    Raises ``SinkUnavailable`` when aiosmtpd is not installed or the port is taken.
    """
    config = app.config
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    if not dev_mailbox_enabled(config) or host not in LOOPBACK_HOSTS:
        return None
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox
    except ImportError:
        raise SinkUnavailable(
            "aiosmtpd is not installed, so nothing catches mail in development; "
            "install the dev extras: .venv/bin/pip install -e '.[dev]'"
        ) from None
    # aiosmtpd logs every connection and command at INFO: noise beside the dev server's.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(Mailbox(maildir_path(app.instance_path)), hostname=host, port=port)
    try:
        controller.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise SinkUnavailable(
            f"{host}:{port} is taken (another mail server?): mail goes there, "
            "not to the dev mailbox"
        ) from None
    return controller


def start_dev_mailbox(app: Flask, public_url: str) -> None:
    """For ``donation-drive dev``: start the sink until the process exits and print
    where its mail shows, or why nothing catches mail."""
    try:
        controller = start_mail_sink(app)
    except SinkUnavailable as exc:
        click.echo(f"Mail:      {exc}", err=True)
        return
    if controller is None:
        click.echo(f"Mail:      sent to {app.config['SMTP_HOST']}:{app.config['SMTP_PORT']}")
        return
    atexit.register(controller.stop)
    click.echo(f"Mailbox:   {public_url}/admin/dev/mailbox/ (every email sent, none delivered)")
