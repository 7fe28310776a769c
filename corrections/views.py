"""The public "Suggest a correction" pages: the form for one record or one of its dates, and the thanks.

No account is needed. Each address may send a few suggestions an hour (every attempt counts,
sent or refused), with the counter of eurasia/throttle.py kept in PostgreSQL so that every server
process shares it; past the limit the page says when to try again (429, Retry-After). A request
body larger than any honest suggestion is refused before it is read.
"""

import hashlib
import math
import re
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from blocs.models import Bloc, Country, Membership
from eurasia.throttle import Counter, client_address
from events.models import Event

from .forms import HONEYPOT, SuggestionForm
from .models import Kind, fact_label, facts_of, spell_label

ALPHA3 = re.compile(r"^[A-Za-z]{3}$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
LARGEST_ID = 2**63 - 1
# Every field at its longest, in UTF-8, fits in well under this.
MOST_BYTES = 32 * 1024


def _limits():
    return {"suggestions": 5, "window": 60 * 60} | getattr(settings, "SUGGESTION_RATE_LIMIT", {})


def _number(key):
    if not key.isascii() or not key.isdigit() or int(key) > LARGEST_ID:
        return None
    return int(key)


def find_record(kind, key):
    """The record a page link names, or 404 with what was not found."""
    if kind == Kind.BLOC:
        record = Bloc.objects.filter(slug=key).first() if SLUG.match(key) else None
        missing = gettext("There is no bloc with the short name “%(slug)s”.") % {"slug": key[:60]}
    elif kind == Kind.COUNTRY:
        record = Country.objects.filter(alpha3=key.upper()).first() if ALPHA3.match(key) else None
        missing = gettext("There is no country with the code “%(code)s” in the records.") % {"code": key[:10]}
    elif kind == Kind.EVENT:
        pk = _number(key)
        record = Event.objects.filter(pk=pk).first() if pk else None
        missing = gettext("There is no event number %(pk)s.") % {"pk": key[:20]}
    elif kind == Kind.SPELL:
        pk = _number(key)
        record = Membership.objects.select_related("country", "bloc").filter(pk=pk).first() if pk else None
        missing = gettext("There is no membership spell number %(pk)s.") % {"pk": key[:20]}
    else:
        raise Http404(gettext("Corrections are suggested for a bloc, a country, an event or a membership spell."))
    if record is None:
        raise Http404(missing)
    return record


def describe(kind, record):
    """(the record's name for the page, its public page)."""
    if kind == Kind.SPELL:
        return spell_label(record), record.bloc.get_absolute_url()
    if kind == Kind.EVENT:
        return f"{record.partial_date('date')}: {record.local_title}", record.get_absolute_url()
    return record.local_name, record.get_absolute_url()


def _context(kind, key, record, field, form):
    name, url = describe(kind, record)
    facts = [(f, fact_label(kind, f), record.partial_date(f)) for f in facts_of(kind)]
    return {
        "kind": kind,
        "key": key,
        "record_name": name,
        "record_url": url,
        "field": field,
        "field_label": fact_label(kind, field) if field else "",
        "stored": record.partial_date(field) if field else None,
        "facts": facts,
        "form": form,
        "honeypot": HONEYPOT,
    }


def too_many(request, wait):
    seconds = max(1, math.ceil(wait))
    minutes = math.ceil(seconds / 60)
    response = render(request, "corrections/too_many.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def too_large(request):
    return render(request, "corrections/too_large.html", {"most": MOST_BYTES // 1024}, status=413)


def suggest(request, kind, key, field=""):
    """The form for one record (and one of its dates when `field` names one); stores a pending suggestion."""
    # Queries: the record (a spell with its country and bloc).
    record = find_record(kind, key)
    if field and field not in facts_of(kind):
        raise Http404(gettext("This record has no date called “%(field)s” to correct.") % {"field": field[:20]})
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
        wait = Counter(f"suggestions:{address}", **_counter_limits()).reserve(time.time())
        if wait:
            return too_many(request, wait)
        if length > MOST_BYTES:
            return too_large(request)
        try:
            data = request.POST
        except (RequestDataTooBig, TooManyFieldsSent):
            return too_large(request)
        except MultiPartParserError:
            form = SuggestionForm(dated=bool(field))
            form.unreadable = gettext("The form could not be read. Send it again from this page.")
            return render(request, "corrections/suggest.html", _context(kind, key, record, field, form), status=400)
        form = SuggestionForm(data, dated=bool(field))
        if form.is_valid():
            suggestion = form.save(commit=False)
            suggestion.kind = kind
            setattr(suggestion, {"spell": "membership"}.get(kind, kind), record)
            suggestion.field = field
            suggestion.save()
            return redirect("corrections:thanks", kind, key)
        return render(request, "corrections/suggest.html", _context(kind, key, record, field, form), status=400)
    form = SuggestionForm(dated=bool(field))
    return render(request, "corrections/suggest.html", _context(kind, key, record, field, form))


def _counter_limits():
    limits = _limits()
    return {"limit": limits["suggestions"], "window": limits["window"]}


def thanks(request, kind, key):
    # Queries: the record, for the way back to its page.
    record = find_record(kind, key)
    name, url = describe(kind, record)
    return render(request, "corrections/thanks.html", {"record_name": name, "record_url": url})
