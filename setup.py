"""Which packages the wheel holds (the rest of the build is in pyproject.toml).

migrations/ stays at the root of the repo, in Flask-Migrate's layout, and ships as
``donation_drive.migrations``, so an installed wheel can run ``db upgrade``.
pyproject.toml cannot map a folder into the package and still discover the others,
hence this file.

The translation catalogs are compiled (.po -> .mo) into the wheel by ``build_py``:
the .mo files are build products, kept out of git like any other, and Babel (already
a runtime dependency) is the one build requirement this adds.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

CATALOGS = "donation_drive/translations/*/LC_MESSAGES/messages.po"


class build_py_with_catalogs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # a checkout: `make compile` writes them beside the .po
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path().glob(CATALOGS)):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, target.open("wb") as compiled:
                write_mo(compiled, read_po(source))


setup(
    packages=[
        # Namespace packages too: templates/ and static/ and their folders hold data.
        *find_namespace_packages(include=["donation_drive", "donation_drive.*"]),
        "donation_drive.migrations",
        "donation_drive.migrations.versions",
    ],
    package_dir={"donation_drive.migrations": "migrations"},
    cmdclass={"build_py": build_py_with_catalogs},
)
