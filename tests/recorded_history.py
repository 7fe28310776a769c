"""A record with a history for tests of ?as_recorded=: recorded on 10 January 2026, changed on 10 June 2026."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from public import as_recorded
from public.as_recorded import recorded_models

from .conftest import make_bloc, make_country, make_event, make_membership, make_source

BEFORE, BETWEEN, AFTER = "2026-01-09", "2026-03-01", "2026-07-01"


def recorded_on(day, since):
    """Date every version recorded since `since` (this test's changes) at noon on `day`."""
    moment = datetime.datetime.fromisoformat(f"{day}T12:00:00+00:00")
    with connection.cursor() as cursor:
        for _, history in recorded_models():
            cursor.execute(
                f"UPDATE {history._meta.db_table} SET history_date = %s WHERE history_date >= %s", [moment, since]
            )


@pytest.fixture(params=["records changed since from their history", "every record from its history"])
def record(request, monkeypatch):
    """Recorded on 10 January 2026: Armenia a member of the CSTO from 2000, Freedonia from 1994 (a spell
    deleted on 10 June 2026, when Armenia's spell became an observer's and Sylvania and its spell were added).

    Read both ways the views can be made: records unchanged since the moment from their tables, and,
    as when more than MOST_CHANGED versions were recorded since, every record from its history.
    """
    if request.param == "every record from its history":
        monkeypatch.setattr(as_recorded, "MOST_CHANGED", 0)
    since = timezone.now()
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization")
    armenia = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    freedonia = make_country(alpha3="FRD", alpha2="FD", name="Freedonia")
    spell = make_membership(country=armenia, bloc=csto, start="2000-01-01", role="member")
    spell.sources.add(make_source(key="treaty-2000", title="The treaty of 2000"))
    deleted = make_membership(country=freedonia, bloc=csto, start="1994-01-01", role="member")
    make_event(title="Tashkent summit", blocs=[csto])
    recorded_on("2026-01-10", since)

    since = timezone.now()
    spell.role = "observer"
    spell.save()
    spell.sources.clear()
    deleted.delete()
    sylvania = make_country(alpha3="SYL", alpha2="SL", name="Sylvania")
    make_membership(country=sylvania, bloc=csto, start="1995-01-01", role="member")
    recorded_on("2026-06-10", since)
    return spell
