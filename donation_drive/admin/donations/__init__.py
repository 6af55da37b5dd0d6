"""The donation list (filters, search, sorting, pages), each donation's page and its
history, and the CSV export of a filtered list."""
