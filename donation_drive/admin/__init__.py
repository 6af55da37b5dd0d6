"""The admin side: login, dashboard, donations, offline entry, operations."""
