"""The wheel, built from this checkout and installed in a fresh venv outside it, runs on
its own from any directory: `db upgrade` finds the migrations inside the package, `demo`
fills the database, and the widget (templates, static files) answers with the demo
drive's figures. No top-level `config` module lands in site-packages.

pip installs the wheel itself. Its declared runtime dependencies (no dev extras) are
copied file by file from this venv's installed distributions, so the test needs no
package index and stays fast; `pip check` then proves they satisfy the wheel's
requirements, and anything the code imports without declaring it fails to import.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib.metadata import Distribution, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from ..conftest import TEST_DATABASE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED_RAISED = 570_600  # the demo's seed gifts: $5,706.00

# Run by the installed venv's python: the demo drive through the app's own client.
FETCH_WIDGET = """
import json, donation_drive
from donation_drive import create_app
from donation_drive.demo import demo_slug

app = create_app()
with app.app_context():
    slug = demo_slug()
client = app.test_client()
progress = client.get(f"/api/v1/drives/{slug}")
page = client.get(f"/widget/{slug}")
german = client.get(f"/widget/{slug}?lang=de")
script = client.get("/widget/embed.js")
print(json.dumps({
    "package": donation_drive.__file__,
    "instance_path": app.instance_path,
    "progress": [progress.status_code, progress.get_json()],
    "page": [page.status_code, page.get_data(as_text=True)],
    "german": [german.status_code, german.get_data(as_text=True)],
    "script": [script.status_code, len(script.get_data())],
}))
"""


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, timeout=120, **kwargs
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def build_wheel(work: Path) -> Path:
    """The wheel of the working tree as git sees it (tracked and untracked files, not
    ignored ones), built in a copy so no build/ folder of the checkout leaks into it."""
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
    ).stdout
    source = work / "source"
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a file deleted but not yet staged is still listed
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", source])
    (wheel,) = (work / "dist").glob("donation_drive-*.whl")
    return wheel


def declared_requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.message_from_bytes(archive.read(metadata))
    return [Requirement(line) for line in message.get_all("Requires-Dist") or []]


def runtime_distributions(requirements: list[Requirement]) -> dict[str, Distribution]:
    """The distributions of this venv that the requirements need, transitively: markers
    evaluated, the extras asked for followed, the wheel's own extras (dev) left out."""
    found: dict[str, Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(requirement, frozenset({""})) for requirement in requirements]
    while pending:
        requirement, extras = pending.pop()
        wanted = requirement.marker is None or any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras
        )
        key = (requirement.name.lower().replace("_", "-"), frozenset(requirement.extras))
        if not wanted or key in seen:
            continue
        seen.add(key)
        dist = distribution(requirement.name)
        found[dist.metadata["Name"].lower()] = dist
        pending.extend(
            (Requirement(line), frozenset({"", *requirement.extras}))
            for line in dist.requires or []
        )
    return found


def copy_installed(dist: Distribution, site_packages: Path) -> None:
    """The distribution's files as pip installed them here, its scripts (in bin/) left
    out. Hard links where the file system allows: nothing writes to an installed file."""
    for file in dist.files or []:
        source = Path(dist.locate_file(file))
        if file.parts[0] == ".." or not source.is_file():
            continue
        target = site_packages / file
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


@dataclass(frozen=True)
class Venv:
    root: Path
    site_packages: Path

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh venv outside the repo holding the wheel and its runtime dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(ROOT)
    wheel = build_wheel(work)
    run([sys.executable, "-m", "venv", "--without-pip", work / "venv"])
    python = work / "venv" / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    installed = Venv(work / "venv", Path(purelib.stdout.strip()))
    for dist in runtime_distributions(declared_requirements(wheel)).values():
        copy_installed(dist, installed.site_packages)
    pip = [sys.executable, "-m", "pip", "--python", python]
    run([*pip, "install", "-q", "--no-deps", "--no-index", wheel])
    run([*pip, "check"])
    return installed


@pytest.fixture
def database_setting(request: pytest.FixtureRequest) -> dict[str, str]:
    """An empty database: the default SQLite file in the instance folder, or a new
    database of the throwaway cluster on PostgreSQL."""
    if TEST_DATABASE == "postgresql":
        return {"DATABASE_URL": request.getfixturevalue("postgres").create_database()}
    return {}


def installed_env(venv: Venv, **settings: str) -> dict[str, str]:
    """Production settings and nothing of this checkout: no PYTHONPATH, no repo venv."""
    return {
        "PATH": f"{venv.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(venv.root),
        "LANG": "C.UTF-8",
        "DONATION_DRIVE_ENV": "production",
        "SECRET_KEY": "wheel-test-secret-key-long-enough",
        "STRIPE_SECRET_KEY": "sk_test_wheel",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_wheel",
        "STRIPE_WEBHOOK_SECRET": "whsec_wheel",
        **settings,
    }


def test_wheel_holds_the_package_and_no_top_level_config(venv: Venv):
    (record,) = venv.site_packages.glob("donation_drive-*.dist-info/RECORD")
    installed = [line.split(",")[0] for line in record.read_text().splitlines()]
    top_level = {Path(name).parts[0] for name in installed if not name.startswith("..")}

    assert top_level == {"donation_drive", record.parent.name}
    assert not (venv.site_packages / "config.py").exists()
    assert "donation_drive/migrations/env.py" in installed
    assert "donation_drive/migrations/alembic.ini" in installed
    assert any(name.startswith("donation_drive/migrations/versions/0001") for name in installed)
    assert "donation_drive/templates/widget/widget.html" in installed
    assert "donation_drive/static/widget/embed.js" in installed
    # Compiled by the wheel's build (setup.py): .mo files are not in git.
    for lang in ("es", "fr", "de"):
        assert f"donation_drive/translations/{lang}/LC_MESSAGES/messages.mo" in installed


def test_installed_wheel_upgrades_fills_and_serves_the_widget(
    venv: Venv, tmp_path: Path, database_setting: dict[str, str]
):
    elsewhere = tmp_path / "elsewhere"  # neither the repo nor the venv
    elsewhere.mkdir()
    instance = tmp_path / "instance"
    env = installed_env(venv, DONATION_DRIVE_INSTANCE_PATH=str(instance), **database_setting)

    run([venv.bin("donation-drive"), "db", "upgrade"], cwd=elsewhere, env=env)
    demo = run([venv.bin("donation-drive"), "demo"], cwd=elsewhere, env=env)
    fetched = run([venv.bin("python"), "-c", FETCH_WIDGET], cwd=elsewhere, env=env)
    no_config = subprocess.run(
        [venv.bin("python"), "-c", "import config"],
        cwd=elsewhere,
        env=env,
        text=True,
        capture_output=True,
    )

    assert "Raised $5,706.00 of $75,000.00" in demo.stdout
    result = json.loads(fetched.stdout)
    assert Path(result["package"]).is_relative_to(venv.site_packages)
    assert result["instance_path"] == str(instance)
    status, progress = result["progress"]
    assert status == 200
    assert progress["raised_amount"] == SEED_RAISED
    assert progress["goal_amount"] == 7_500_000
    assert progress["currency"] == "USD"
    status, page = result["page"]
    assert status == 200 and "$5,706" in page
    status, german = result["german"]  # the wheel's compiled catalogs are read
    assert status == 200 and "gesammelt von" in german and "5.706\xa0$" in german
    status, script_length = result["script"]
    assert status == 200 and script_length > 0
    if not database_setting:
        assert (instance / "donation_drive.sqlite3").is_file()
    assert no_config.returncode != 0 and "No module named 'config'" in no_config.stderr


def test_installed_app_defaults_to_an_instance_folder_in_the_venv(venv: Venv, tmp_path: Path):
    """Without DONATION_DRIVE_INSTANCE_PATH, Flask puts an installed package's instance
    folder under <venv>/var/ (docs/deployment.md)."""
    env = installed_env(venv, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    script = "from donation_drive import create_app; print(create_app().instance_path)"

    done = run([venv.bin("python"), "-c", script], cwd=tmp_path, env=env)

    assert done.stdout.strip() == str(venv.root / "var" / "donation_drive-instance")
