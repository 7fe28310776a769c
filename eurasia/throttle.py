"""Throttling of failed admin logins: a few tries per account from one address, then a pause that grows."""

import hashlib
import math
import time
import unicodedata
from contextlib import contextmanager

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils.translation import ngettext

CACHE = "logins"
# A pause that keeps being earned doubles each time, up to 2**6 windows (16 hours for 15 minutes);
# the count of pauses is forgotten a day after the last one ends.
MAX_DOUBLINGS = 6
REMEMBER_PAUSES = 24 * 60 * 60


def _limits():
    return {"per_account": 5, "per_address": 20, "window": 15 * 60, "address_header": "REMOTE_ADDR"} | getattr(
        settings, "LOGIN_THROTTLE", {}
    )


def account_key(username):
    """The account a posted name stands for, as authentication finds it, whatever its spelling.

    The login form's field applies NFKC (as AbstractBaseUser.normalize_username does), so that
    "ａｄｍｉｎ" logs in as "admin"; the name is folded to one case on top, so that "ADMIN" counts
    against "admin" too, whether or not the lookup would find it.
    """
    name = unicodedata.normalize("NFKC", username.strip())
    return unicodedata.normalize("NFKC", name.casefold())


def client_address(request):
    """The client's address: REMOTE_ADDR, or behind a proxy the header it sets (docs/operations.md)."""
    # The last X-Forwarded-For entry is the one our own proxy added; earlier ones are the client's say.
    return (request.META.get(_limits()["address_header"]) or "unknown").split(",")[-1].strip()[:64]


class Counter:
    """Attempts under one key, counted atomically in the database cache: (count, until, pauses).

    `until` ends the counting window, or the pause once `count` reaches the limit. Every server
    process shares the counts; an advisory lock on the key makes each change a single step, so
    that parallel attempts cannot all read the same count.
    """

    def __init__(self, key, limit, window):
        self.key, self.limit, self.window = key, limit, window
        self.cache = caches[CACHE]

    @contextmanager
    def _locked(self):
        using = router.db_for_write(self.cache.cache_model_class)
        lock = int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:8], "big", signed=True)
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
            yield

    def _store(self, count, until, pauses, now):
        self.cache.set(self.key, (count, until, pauses), timeout=math.ceil(max(until - now, 0)) + REMEMBER_PAUSES)

    def reserve(self, now):
        """Count one attempt before its password is checked; the seconds to wait instead, if paused."""
        with self._locked():
            count, until, pauses = self.cache.get(self.key, (0, 0, 0))
            if count >= self.limit and until > now:
                return until - now
            if until <= now:
                count, until = 0, now + self.window
            count += 1
            if count >= self.limit:
                until = now + self.window * 2 ** min(pauses, MAX_DOUBLINGS)
                pauses += 1
            self._store(count, until, pauses, now)
        return 0

    def release(self, now):
        """Take back one reserved attempt that turned out to be a success."""
        with self._locked():
            count, until, pauses = self.cache.get(self.key, (0, 0, 0))
            if count <= 0:
                return
            if count == self.limit:
                pauses = max(pauses - 1, 0)
            self._store(count - 1, until, pauses, now)

    def clear(self):
        self.cache.delete(self.key)


class LoginThrottle:
    """Attempts counted per account and address together, and per address across accounts.

    An account is paused only for the address that guessed at it: someone elsewhere cannot lock a
    curator out (docs/operations.md). Each pause earned again lasts twice as long as the last.
    Attempts are counted before the password is checked, so that parallel guesses cannot all be
    checked before the first failure is counted. A success clears its account's count and takes
    back its own attempt from the address's count, but no more, so that one valid account cannot
    unlock guessing at the others.
    """

    def __init__(self, request, username):
        limits = _limits()
        account = hashlib.sha256(account_key(username).encode()).hexdigest()
        address = client_address(request)
        self.account = Counter(
            f"login-failures:account:{account}:{hashlib.sha256(address.encode()).hexdigest()[:32]}",
            limits["per_account"],
            limits["window"],
        )
        self.address = Counter(f"login-failures:address:{address}", limits["per_address"], limits["window"])

    def reserve(self):
        """Count this attempt; the seconds until a login may be tried again when it may not be now."""
        now = time.time()
        wait = self.address.reserve(now)
        if wait:
            return wait
        wait = self.account.reserve(now)
        if wait:
            self.address.release(now)
        return wait

    def succeeded(self):
        self.account.clear()
        self.address.release(time.time())


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, refusing to check any password while its account or address is paused."""

    def clean(self):
        # The username field has already normalised the name (NFKC) as authentication will use it.
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        throttle = LoginThrottle(self.request, username)
        wait = throttle.reserve()
        if wait:
            minutes = math.ceil(wait / 60)
            raise ValidationError(
                ngettext(
                    "Too many failed logins for this account or from your address. Logging in is paused: "
                    "try again in %(minutes)d minute.",
                    "Too many failed logins for this account or from your address. Logging in is paused: "
                    "try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        cleaned = super().clean()  # a wrong password raises, and the attempt stays counted
        throttle.succeeded()
        return cleaned


def create_cache_table(using="default", **kwargs):
    """After `migrate`: the database cache's table, so that no extra deployment step is needed."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
