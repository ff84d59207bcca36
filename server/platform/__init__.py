"""Plumbing with no domain in it: pub/sub, periodic jobs, rate limits, metrics, secrets,
notifications and state tables."""
