"""The metrics are created on first use (importing prometheus_client costs start-up
time no CLI command should pay), and a gunicorn worker's threads may all get there at
once: they must register them once, and count every bump."""

from __future__ import annotations

import subprocess
import sys
import textwrap

THREADS = 32
ATTEMPTS = 3  # each in a fresh interpreter; one catches a lost race most of the time

RACE = textwrap.dedent(
    f"""
    import sys
    import threading

    from prometheus_client import REGISTRY

    from donation_drive.observability import count_webhook_failure

    sys.setswitchinterval(1e-6)  # threads take turns often, as a busy worker's do
    start = threading.Barrier({THREADS})
    errors = []

    def bump():
        start.wait()
        try:
            count_webhook_failure("first_use_race", "stripe")
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=bump) for _ in range({THREADS})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    labels = {{"provider": "stripe", "reason": "first_use_race"}}
    print(errors or REGISTRY.get_sample_value("donation_drive_webhook_failures_total", labels))
    """
)


def test_threads_creating_the_metrics_at_once_register_them_once():
    for _ in range(ATTEMPTS):  # fresh interpreters: in this one the metrics already exist
        finished = subprocess.run(
            [sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120, check=True
        )
        assert finished.stdout.strip() == f"{float(THREADS)}", finished.stdout + finished.stderr
