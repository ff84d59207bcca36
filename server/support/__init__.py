"""Support: profiles, requests, offers, the pool as `matching` sees it, and the matchmaker."""
