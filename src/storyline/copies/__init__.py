"""Copies: blocking by shingle MinHash, then the decision between wire, scraped, spun and translated copies with the original."""
