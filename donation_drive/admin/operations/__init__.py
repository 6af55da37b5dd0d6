"""The operations page: emails, webhooks and reconciliation runs at a glance."""
