"""Year-end giving statements: one per donor with giving in a calendar (or fiscal)
year, listing each gift net of refunds, as a PDF (ReportLab) made from an
overridable template, attached to an email that is an outbox row before it is sent.
Each donor gets one per year; a resend is asked for explicitly."""
