"""The local Stripe emulator (``localstripe``) for development and tests: start it,
wait for it, and point its webhooks at us. Never used against real Stripe."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def emulator_is_up(api_base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_base}/js.stripe.com/v3/", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_emulator(port: int, log_path: Path | None = None) -> subprocess.Popen:
    """Start ``localstripe --from-scratch`` on loopback and wait until it answers."""
    executable = shutil.which("localstripe") or str(Path(sys.executable).parent / "localstripe")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [executable, "--port", str(port), "--from-scratch"], stdout=log, stderr=log
    )
    api_base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with code {process.returncode}")
        if emulator_is_up(api_base):
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("localstripe did not start within 20 seconds")


def register_emulator_webhook(api_base: str, name: str, url: str, secret: str) -> None:
    """Ask the emulator to deliver its events to ``url``, signed with ``secret``."""
    body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback emulator address
        f"{api_base}/_config/webhooks/{name}", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        if response.status != 200:
            raise RuntimeError(f"localstripe refused the webhook: HTTP {response.status}")
