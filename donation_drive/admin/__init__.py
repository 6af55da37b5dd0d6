"""The admin side, one subpackage per page family, each with its views, forms and
queries:

- ``overview/``: the dashboard's first page (figures, daily chart)
- ``donations/``: the donation list and search, each donation's page, CSV export
- ``entry/``: recording offline donations, corrections, voids, refunds, receipt resends
- ``imports/``: the CSV import (parsing, preview staged in the database, confirmation)
- ``drives/``: drive settings, creating next year's drive
- ``operations/``: are payments, webhooks and emails flowing
- ``donors/``: the donor list and search, each donor's page (merge, privacy export
  and erasure), the year-end statements button
- ``paypal/``: PayPal's status, gifts needing a drive, refunds through PayPal
- ``auth/``: login, server-side sessions, admin accounts (and their CLI), the
  development account
- ``monthly/``: monthly gifts (status, recurring amount, installments, cancel, refund)

Shared by the families: ``blueprint`` (the one ``admin`` blueprint, login required),
``navigation`` (the menu), ``display`` (labels, the admin's time zone), ``forms``
(``FieldErrors``, ``choices``, ``one_of``), ``drive_choice`` and ``redirects`` (the one
same-site redirect guard).
"""

from __future__ import annotations

from flask import Flask


def register_admin(app: Flask) -> None:
    """Attach every admin page to ``bp`` and register it on ``app``.

    The view modules are imported here, when the web app is built, rather than when the
    package is: the CLI's admin commands import ``admin.auth.accounts`` and need none of
    the pages. A new page family adds its views module to this list.
    """
    # Importing a views module attaches its routes (and display's template filters,
    # navigation's menu) to ``bp``.
    from . import display, navigation  # noqa: F401
    from .auth import views as auth_views  # noqa: F401
    from .blueprint import bp
    from .donations import exports as donation_exports  # noqa: F401
    from .donations import views as donation_views  # noqa: F401
    from .donors import views as donor_views  # noqa: F401
    from .drives import goals as drive_goals  # noqa: F401
    from .drives import messages as drive_messages  # noqa: F401
    from .drives import views as drive_views  # noqa: F401
    from .drives import widget_look as drive_widget_look  # noqa: F401
    from .entry import views as entry_views  # noqa: F401
    from .imports import views as import_views  # noqa: F401
    from .monthly import views as monthly_views  # noqa: F401
    from .operations import views as operations_views  # noqa: F401
    from .overview import views as overview_views  # noqa: F401
    from .paypal import views as paypal_views  # noqa: F401

    app.register_blueprint(bp)
