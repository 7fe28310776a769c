"""Readers' suggestions as the public form stores them, for the tests of their review and of the quality checks."""

from corrections.models import Kind, Suggestion
from eurasia.partial_dates import PartialDate

URL = "https://www.odkb-csto.org/documents/detail.php?ELEMENT_ID=1"


def make_suggestion(record, field="", proposed="", **kw):
    kind = {"Bloc": Kind.BLOC, "Country": Kind.COUNTRY, "Event": Kind.EVENT, "Membership": Kind.SPELL}[
        type(record).__name__
    ]
    owner = {"spell": "membership"}.get(kind, kind)
    kw.setdefault("what", "It is wrong.")
    suggestion = Suggestion(kind=kind, field=field, source_url=kw.pop("source_url", URL), **kw)
    setattr(suggestion, owner, record)
    if proposed:
        suggestion.set_proposed(PartialDate.parse(proposed))
    suggestion.save()
    return suggestion
