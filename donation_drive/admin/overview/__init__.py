"""The dashboard's first page: one drive's figures and its daily chart."""
