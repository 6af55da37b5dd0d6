"""Which packages the wheel holds (the rest of the build is in pyproject.toml).

migrations/ stays at the root of the repo, in Flask-Migrate's layout, and ships as
``donation_drive.migrations``, so an installed wheel can run ``db upgrade``.
pyproject.toml cannot map a folder into the package and still discover the others,
hence this file.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        # Namespace packages too: templates/ and static/ and their folders hold data.
        *find_namespace_packages(include=["donation_drive", "donation_drive.*"]),
        "donation_drive.migrations",
        "donation_drive.migrations.versions",
    ],
    package_dir={"donation_drive.migrations": "migrations"},
)
