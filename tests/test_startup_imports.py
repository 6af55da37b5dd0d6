"""Building the app, as every ``donation-drive`` command does, leaves the slow imports
that only some commands or requests need for later (docs/benchmarks.md, CLI start-up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Imported by the functions that use them, never at start-up.
DEFERRED = {
    "stripe": "providers.stripe, on the first call to Stripe",
    "prometheus_client": "observability.metrics(), on the first metric bumped or scraped",
    "apscheduler": "jobs.Worker, when a worker starts",
}

BUILD_APP = """
import json, sys
from donation_drive import create_app

create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_app_imports_none_of_the_deferred_modules(tmp_path: Path):
    finished = subprocess.run(
        [sys.executable, "-c", BUILD_APP, str(tmp_path / "instance")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = set(json.loads(finished.stdout.splitlines()[-1]))
    early = {name: why for name, why in DEFERRED.items() if name in imported}
    assert not early, f"imported at start-up, but meant for later: {early}"
