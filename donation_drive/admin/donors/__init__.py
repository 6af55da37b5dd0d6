"""The admin's donor pages: the list and search (``/admin/donors/``), each donor's
page (``/admin/donors/<id>``) with merge, privacy export and erasure, and the
year-end statements button. ``register_admin`` imports ``views``, which attaches the
routes to the admin blueprint."""
