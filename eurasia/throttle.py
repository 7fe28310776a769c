"""Throttling of failed admin logins: a few tries per account and per address, then a pause."""

import hashlib
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django.core.exceptions import ValidationError

CACHE = "logins"


def _limits():
    return {"per_account": 5, "per_address": 20, "window": 15 * 60, "address_header": "REMOTE_ADDR"} | getattr(
        settings, "LOGIN_THROTTLE", {}
    )


class LoginThrottle:
    """Failed logins counted per account and per client address, in a window that starts at the first failure.

    Counts live in the database cache so that every server process sees the same ones. A success
    clears the account's count but not the address's, so one valid account cannot unlock guessing
    at the others.
    """

    def __init__(self, request, username):
        limits = _limits()
        self.window = limits["window"]
        # Behind a proxy, the header it sets (X-Real-IP, or the last X-Forwarded-For entry) names the client.
        account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        address = (request.META.get(limits["address_header"]) or "unknown").split(",")[-1].strip()[:64]
        self.counters = [
            (f"login-failures:account:{account}", limits["per_account"]),
            (f"login-failures:address:{address}", limits["per_address"]),
        ]
        self.cache = caches[CACHE]

    def wait(self):
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        now = time.time()
        waits = [0]
        for key, limit in self.counters:
            count, until = self.cache.get(key, (0, 0))
            if count >= limit and until > now:
                waits.append(until - now)
        return max(waits)

    def failed(self):
        now = time.time()
        for key, _ in self.counters:
            count, until = self.cache.get(key, (0, 0))
            if until <= now:
                count, until = 0, now + self.window
            self.cache.set(key, (count + 1, until), timeout=math.ceil(until - now))

    def succeeded(self):
        self.cache.delete(self.counters[0][0])


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, refusing to check any password while its account or address is paused."""

    def clean(self):
        throttle = LoginThrottle(self.request, self.data.get("username", ""))
        wait = throttle.wait()
        if wait:
            minutes = math.ceil(wait / 60)
            raise ValidationError(
                "Too many failed logins for this account or from your address. Logging in is paused: "
                f"try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.failed()
            raise
        throttle.succeeded()
        return cleaned


def create_cache_table(using="default", **kwargs):
    """After `migrate`: the database cache's table, so that no extra deployment step is needed."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
