"""The admin's monthly-gifts pages (``/admin/monthly``); importing ``views`` attaches
them to the admin blueprint."""
