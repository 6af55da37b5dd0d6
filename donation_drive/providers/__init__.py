"""Payment providers, one package each, all of one shape.

A provider package is the only place that speaks its provider's API. It offers:

- a client built from its settings (off when unconfigured);
- the checkout's calls (create and capture or confirm a payment);
- event verification for its webhooks, and the plain objects the rest reads;
- ``ledger_payment``: turn the provider's payment object into a
  ``ledger.ProviderPayment``, so every path (checkout, webhook, reconcile, import)
  counts it through ``ledger.record_provider_payment`` under one key;
- a reconcile source (list what the provider holds for a window of time).

Differences between the real provider and its test/development stand-in stay inside
the package.
"""
