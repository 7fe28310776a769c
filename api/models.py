"""The read API keeps no tables of its own: its rate limit counts in memory or Redis (api/middleware.py)."""
