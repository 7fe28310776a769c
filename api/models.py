"""The read API's one table: requests counted per client address, for its rate limit."""

from django.db import models


class RateWindow(models.Model):
    """How many API requests one address made in the current window (api/middleware.py)."""

    address = models.CharField(
        max_length=64, primary_key=True, help_text="The client's address, as eurasia.throttle reads it."
    )
    window = models.BigIntegerField(help_text="The window counted: seconds since 1970 divided by its length.")
    hits = models.PositiveIntegerField(help_text="Requests from the address in that window.")

    def __str__(self):
        return f"{self.address}: {self.hits} in window {self.window}"
