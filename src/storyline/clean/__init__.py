"""Cleaning: fixed rules for scraper markers, ads, widgets, embedded posts and control characters, and boilerplate learned per site."""
