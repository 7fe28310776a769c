"""Claims for tests: a disputed date in one call, its record kept equal to the preferred claim."""

from blocs.models import Rank
from eurasia.partial_dates import PartialDate

from .conftest import make_source


def make_claim(record, field, value, rank=Rank.ALTERNATIVE, sources=None, **kw):
    """A claim on `record`'s date `field`; `value` is "2012", "2012-06", "2012-06-28" or None for "no such date"."""
    partial = PartialDate.parse(value) if value else None
    claim = record.claims.create(
        field=field,
        value=partial.date if partial else None,
        value_precision=partial.precision if partial else "day",
        rank=rank,
        **kw,
    )
    claim.sources.set(sources or [make_source()])
    return claim


def dispute(record, field, other, reading=None, sources=None):
    """Make `record`'s stored date the preferred claim and `other` an alternative one; both claims."""
    stored = record.partial_date(field)
    preferred = make_claim(record, field, stored.iso if stored else None, Rank.PREFERRED, reason="the record's date")
    alternative = make_claim(record, field, other, reason="another source's date", reading=reading, sources=sources)
    return preferred, alternative
