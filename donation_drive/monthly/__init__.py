"""Monthly gifts by card (docs/monthly.md): the stored subscriptions and their audit
trail (``records``), which drive an installment counts toward (``counting``),
recording paid installments through the ledger's one path (``installments``),
starting a gift at checkout (``start``), the donor's signed manage link
(``tokens``), the donor's changes (``changes``), figures for the admin and the
widget (``figures``) and the donor pages (``views``)."""
