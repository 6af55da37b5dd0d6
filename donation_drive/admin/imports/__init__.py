"""The CSV import: reading the file (``values``), planning rows (``csv_import``), the
preview staged in the database (``staging``) and the upload/confirm pages."""
