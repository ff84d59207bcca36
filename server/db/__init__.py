"""Persistence: tables, engine and repository functions. The caller owns the transaction."""
