"""Drive settings: the list, editing a drive, creating next year's from this year's."""
