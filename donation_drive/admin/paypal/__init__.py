"""The PayPal page family: PayPal's status, the gifts that need a drive, and a PayPal
gift's channel, link and refund through PayPal (``views``; docs/paypal.md)."""
