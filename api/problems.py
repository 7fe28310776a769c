"""Errors of the read API as application/problem+json (RFC 9457), and the checks of its query parameters."""

import base64
import binascii
import datetime
import json

from django.conf import settings
from django.http import HttpResponse

from eurasia.partial_dates import PartialDate

PROBLEM_TYPE = "application/problem+json"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class Problem(Exception):
    """A request the API cannot answer; the handler in api/service.py turns it into a problem document."""

    def __init__(self, status, title, detail, parameter=None, headers=None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.parameter = status, title, detail, parameter
        self.headers = headers or {}


def bad_parameter(name, detail):
    return Problem(400, "Bad parameter", detail, parameter=name)


def problem_response(status, title, detail, parameter=None, headers=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if parameter:
        body["parameter"] = parameter
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_TYPE, headers=headers or {})
    response["Cache-Control"] = "no-store"
    return response


def timed_out_problem():
    """The answer to a request whose statement the timeout stopped (eurasia/timeouts.py)."""
    detail = (
        f"The database took longer than {settings.STATEMENT_TIMEOUT_SECONDS:g} seconds and the request was stopped: "
        "narrow it (a bloc, fewer years) or try again in a moment."
    )
    return problem_response(503, "Taking too long", detail)


def check_known(request, known):
    """Refuse parameters the operation does not take: a misspelt filter must not silently select everything."""
    unknown = sorted(set(request.GET) - set(known))
    if unknown:
        listed = ", ".join(unknown[:5])
        takes = ", ".join(sorted(known)) or "no parameters"
        raise bad_parameter(unknown[0], f"Unknown parameter {listed[:200]}: this address takes {takes}.")
    for name in request.GET:
        if len(request.GET.getlist(name)) > 1:
            raise bad_parameter(name, f"?{name}= is given more than once: give it once.")


def parse_day(name, raw):
    """A YYYY-MM-DD date, or a problem that says what is wrong with it (which month has no such day)."""
    if raw is None or raw == "":
        return None
    try:
        value = PartialDate.parse(raw)
    except ValueError as e:
        raise bad_parameter(name, f"?{name}=: {e}")
    if value.precision != "day" or len(raw) != 10:
        raise bad_parameter(name, f'?{name}=: "{raw[:40]}" is not a day: give YYYY-MM-DD, such as 2012-07-01.')
    return value.date


def parse_year(name, raw):
    if raw is None:
        return None
    if not 1 <= raw <= 9999:
        raise bad_parameter(name, f"?{name}=: {raw} is not a year between 1 and 9999.")
    return raw


def parse_limit(raw):
    if raw is None:
        return DEFAULT_LIMIT
    if raw < 1 or raw > MAX_LIMIT:
        raise bad_parameter("limit", f"?limit={raw}: a page holds from 1 to {MAX_LIMIT} records.")
    return raw


# Cursors: the sort key of the last record of a page, as JSON in URL-safe base64. The server keeps
# nothing about them; each names the sort (its "o" member) so that one list's cursor is refused by another.


def encode_cursor(order, values):
    raw = json.dumps({"o": order, "k": [v.isoformat() if isinstance(v, datetime.date) else v for v in values]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(raw, order, kinds):
    """The sort key a cursor holds, checked against the types the list sorts on (str, int or date)."""
    if raw is None or raw == "":
        return None
    bad = bad_parameter("cursor", "?cursor= is not a cursor of this list: use the next link of a page as it is.")
    if len(raw) > 1000:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad
    if not isinstance(data, dict) or data.get("o") != order:
        raise bad
    values = data.get("k")
    if not isinstance(values, list) or len(values) != len(kinds):
        raise bad
    out = []
    for value, kind in zip(values, kinds, strict=True):
        if kind is datetime.date:
            try:
                value = datetime.date.fromisoformat(value)
            except (TypeError, ValueError):
                raise bad
        elif kind is int:
            if type(value) is not int or not -(2**63) <= value < 2**63:
                raise bad
        elif type(value) is not str or "\x00" in value:
            raise bad
        out.append(value)
    return out
