"""Donors as people read them: search, a donor's whole record (giving per year and
per drive, every gift, receipts and statements sent), the privacy export, and the
``donation-drive donor`` commands. What changes donors (attaching gifts, merges,
erasure) is the ledger's (``ledger.donors``); this package only reads, and asks the
ledger to write."""
