"""The app served by real gunicorn processes on loopback, as it is deployed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..peers.ports import free_port


class GunicornInstance:
    """``gunicorn -w N 'donation_drive:create_app()'`` with the given settings, and
    ``instance_path`` as the instance folder when given (else Flask's default, which
    every instance started from one checkout shares)."""

    def __init__(
        self,
        settings: dict[str, str],
        workers: int,
        log_path: Path,
        instance_path: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        self.workers = workers
        self.log_path = log_path
        self.factory = (
            "create_app()"
            if instance_path is None
            else f"create_app(instance_path={str(instance_path)!r})"
        )
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> GunicornInstance:
        environment = {**os.environ, **self.settings}
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                f"donation_drive:{self.factory}",
            ],
            env=environment,
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
