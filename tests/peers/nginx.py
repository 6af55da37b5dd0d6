"""nginx with the configuration docs/deployment.md gives, in front of a gunicorn on
loopback. The config is the document's own text with only addresses and paths
replaced, so the doc cannot drift from what is tested and measured."""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
DEPLOYMENT_DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


def documented_config() -> str:
    match = re.search(r"```nginx\n(.*?)```", DEPLOYMENT_DOC.read_text(), re.DOTALL)
    assert match, "docs/deployment.md has no nginx block"
    return match.group(1)


def runnable(config: str, folder: Path, listen: int, upstream: int | Sequence[int]) -> str:
    """The documented config with this machine's addresses and paths: the upstream
    block's servers become ``upstream`` (one port, or several)."""
    ports = [upstream] if isinstance(upstream, int) else list(upstream)
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in ports)
    config = re.sub(r"(    server 10\.0\.0\.\d+:8000;[^\n]*\n)+", servers, config, count=1)
    config = config.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{listen};")
    config = config.replace("/var/cache/nginx/widget", str(folder / "cache"))
    config = config.replace("/var/log/nginx/donate.log", str(folder / "access.log"))
    temp = "\n".join(
        f"{name}_temp_path {folder / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Workers as this user: as root nginx would switch to "nobody", who cannot
    # enter the test's private temporary folder.
    return (
        f"user {getpass.getuser()};\n"
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        f"events {{}}\nhttp {{\n{temp}\n{config}\n}}\n"
    )


class DocumentedNginx:
    """The documented nginx listening on ``port``, proxying to ``upstream`` (one
    port, or several: nginx balances between them as the documented config does)."""

    def __init__(self, folder: Path, port: int, upstream: int | Sequence[int]) -> None:
        if NGINX is None:
            raise RuntimeError("nginx is not installed (Debian package nginx-light)")
        self.folder, self.port = folder, port
        self.url = f"http://127.0.0.1:{port}"
        (folder / "nginx.conf").write_text(runnable(documented_config(), folder, port, upstream))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = 10) -> DocumentedNginx:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).close()  # noqa: S310
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
