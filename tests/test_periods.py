"""The date rules in their three forms (Python, the ORM, the SQL of /data/) give the same answers."""

import pytest
from django.db import connection

from blocs.models import Bloc, Membership

from .conftest import d, make_bloc, make_country, make_membership

pytestmark = pytest.mark.django_db

# The days around every boundary below: the day before, the day itself and the day after.
DAYS = [
    d(day)
    for day in (
        "1991-12-31",
        "1992-01-01",
        "1992-01-02",
        "1999-12-31",
        "2000-01-01",
        "2000-01-02",
        "2005-06-30",
        "2005-07-01",
        "2010-01-01",
        "2030-01-01",
    )
]


def sql_ids(model, condition, day):
    alias = "x"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {alias}.id FROM {connection.ops.quote_name(model._meta.db_table)} {alias} WHERE {condition}",
            {"day": day},
        )
        return {pk for (pk,) in cursor.fetchall()}


def test_in_force_and_suspended_agree_in_python_the_orm_and_sql():
    bloc = make_bloc()
    spells = [
        make_membership(bloc=bloc, start=d("1992-01-01")),
        make_membership(bloc=bloc, start=d("1992-01-01"), end=d("2000-01-01"), end_reason="withdrawal"),
        make_membership(
            bloc=bloc, start=d("1992-01-01"), suspension_start=d("2000-01-01"), suspension_end=d("2005-07-01")
        ),
        make_membership(bloc=bloc, start=d("2000-01-01"), suspension_start=d("2005-07-01")),
    ]
    for day in DAYS:
        in_force = {m.pk for m in spells if m.is_active_on(day)}
        suspended = {m.pk for m in spells if m.is_suspended_on(day)}
        assert {m.pk for m in Membership.objects.active_on(day)} == in_force
        assert {m.pk for m in Membership.objects.active_on(day) if m.is_suspended} == suspended
        assert set(Membership.objects.filter(Membership.suspended_q(day)).values_list("pk", flat=True)) == suspended
        assert sql_ids(Membership, Membership.in_force_sql("x", "%(day)s::date"), day) == in_force
        assert sql_ids(Membership, Membership.suspended_sql("x", "%(day)s::date"), day) == suspended
    assert {m.pk for m in spells if m.is_active_on(d("2000-01-01"))} == {spells[0].pk, spells[2].pk, spells[3].pk}


def test_bloc_existence_agrees_in_python_the_orm_and_sql():
    blocs = [
        make_bloc(),
        make_bloc(founded=d("1992-01-01")),
        make_bloc(founded=d("1992-01-01"), dissolved=d("2000-01-01")),
        make_bloc(dissolved=d("2005-07-01")),
    ]
    for day in DAYS:
        existing = {b.pk for b in blocs if b.exists_on(day)}
        assert set(Bloc.objects.existing_on(day).values_list("pk", flat=True)) == existing
        assert sql_ids(Bloc, Bloc.exists_sql("x", "%(day)s::date"), day) == existing
    assert {b.pk for b in blocs if b.exists_on(d("1991-12-31"))} == {blocs[0].pk, blocs[3].pk}


def test_overlap_agrees_in_python_and_the_orm():
    country, bloc = make_country(), make_bloc()
    spell = make_membership(country=country, bloc=bloc, start=d("1992-01-01"), end=d("2000-01-01"))
    for start, end, overlaps in [
        ("1990-01-01", "1992-01-01", False),  # ends the day the spell starts
        ("1990-01-01", "1992-01-02", True),
        ("1999-12-31", None, True),
        ("2000-01-01", None, False),  # starts the day the spell ends
        ("1995-01-01", "1996-01-01", True),
    ]:
        other = Membership(country=country, bloc=bloc, start=d(start), end=end and d(end))
        assert other.shares_days_with(spell) is overlaps
        assert spell.shares_days_with(other) is overlaps
        assert Membership.objects.overlapping(other).exists() is overlaps
