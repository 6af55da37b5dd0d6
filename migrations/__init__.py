"""Alembic's scripts, in Flask-Migrate's layout.

A package only so that the wheel ships this folder as ``donation_drive.migrations``
(setup.py) and ``create_app`` finds it the same way in a checkout and installed.
"""
