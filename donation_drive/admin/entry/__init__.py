"""Offline entry: recording a check or cash gift, corrections, voids, refunds (offline
or through the provider) and receipt resends."""
