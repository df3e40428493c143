"""Readers: every input format storyline accepts, turned into records (an article or a quarantine entry)."""
