"""Donor checkout: the donation form, card payments through Stripe (the card goes
from Stripe.js to Stripe only), the thank-you and cancel pages, and the card-testing
defences (rate limits, the attempt log). See docs/checkout.md."""
