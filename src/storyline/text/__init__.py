"""Language-neutral text helpers: dates and quantities found in text."""
