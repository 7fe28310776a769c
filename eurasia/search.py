"""Bounds on what an admin search box may ask: a few words and characters, with a message when cut."""

from django.contrib import messages
from django.utils.text import smart_split
from django.utils.translation import gettext

# Each word adds a condition to the query; thousands of them held a worker for half a minute
# (docs/operations.md, "Limits").
MAX_WORDS = 10
MAX_CHARS = 200


def bounded_search(request, search_term):
    """The search as it is run: its first MAX_WORDS words, within MAX_CHARS characters.

    On a change list the curator is told that the search was cut; an autocomplete box (JSON,
    no page to show a message on) is cut silently.
    """
    words = list(smart_split(search_term[:MAX_CHARS]))
    if len(search_term) <= MAX_CHARS and len(words) <= MAX_WORDS:
        return search_term
    bounded = " ".join(words[:MAX_WORDS])
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        messages.warning(
            request,
            gettext(
                "A search takes at most %(words)s words and %(characters)s characters: "
                "this list shows the results for “%(search)s”."
            )
            % {"words": MAX_WORDS, "characters": MAX_CHARS, "search": bounded},
        )
    return bounded
