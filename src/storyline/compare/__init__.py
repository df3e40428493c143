"""Comparing the versions of a story: aligned facts, conflicts, name variants, timeline."""
