"""Who may use the admin: login and password change (``views``), server-side sessions
(``sessions``), accounts (``accounts``, with the ``donation-drive admin`` commands) and
the development account (``dev_account``)."""
