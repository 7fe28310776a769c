"""The synthetic world: the tiny scale, loaded into PostgreSQL, which enforces every constraint on the way in."""

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Q

from blocs.models import Bloc, BlocClaim, Country, Membership, MembershipClaim, Rank, Reading, Role, Source, Succession
from devtools.disputes import CLAIMS
from devtools.synthetic import CURATED_TABLES, SCALES, flush
from events.models import Event, EventClaim

from .conftest import _clear_records, make_country

pytestmark = pytest.mark.django_db

TINY = SCALES["tiny"]


def make_world(seed=3, *args):
    call_command("make_world", "--scale", "tiny", "--seed", str(seed), *args, stdout=io.StringIO())


@pytest.fixture(scope="module", autouse=True)
def tiny_world(django_db_setup, django_db_blocker):
    # One world for the whole module, loaded as a user loads it (outside any transaction);
    # each test still rolls back what it changes, and tests that need an empty database flush
    # it inside their own transaction.
    with django_db_blocker.unblock():
        make_world(3)
    yield
    with django_db_blocker.unblock():
        _clear_records()


def snapshot():
    """Every row of every curated table, in a stable order."""
    rows = {}
    with connection.cursor() as cursor:
        for table in CURATED_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            rows[table] = cursor.fetchall()
    return rows


def test_tiny_world_has_the_counts_of_its_scale():
    assert Country.objects.count() == TINY.countries
    assert Bloc.objects.count() == TINY.blocs
    assert Membership.objects.count() == TINY.memberships
    assert Event.objects.count() == TINY.events
    assert Source.objects.count() == TINY.sources


def test_every_record_has_one_history_row():
    for model in (Country, Bloc, Membership, Event, Source):
        assert model.history.count() == model.objects.count()
        assert set(model.history.values_list("history_type", flat=True)) == {"+"}
    event = Event.objects.filter(blocs__isnull=False).first()
    assert set(event.history.first().blocs.values_list("bloc_id", flat=True)) == set(
        event.blocs.values_list("id", flat=True)
    )


def test_history_rows_keep_every_link_of_the_record():
    # A bloc's history shows the blocs it continued, and an event's the spells it concerns, as
    # the admin's history page and the history comparison read them.
    bloc = Bloc.objects.filter(pk__in=Succession.objects.values("successor")).first()
    assert set(bloc.history.first().predecessors.values_list("predecessor_id", flat=True)) == set(
        bloc.predecessors.values_list("id", flat=True)
    )
    event = Event.objects.filter(memberships__isnull=False).first()
    assert set(event.history.first().memberships.values_list("membership_id", flat=True)) == set(
        event.memberships.values_list("id", flat=True)
    )
    assert apps.get_model("blocs", "HistoricalSuccession").objects.count() == Succession.objects.count()


def test_same_seed_gives_the_same_world():
    first = snapshot()
    make_world(3, "--flush")
    assert snapshot() == first
    make_world(4, "--flush")
    assert snapshot()["blocs_membership"] != first["blocs_membership"]


def test_new_records_after_the_world_get_fresh_ids():
    country = make_country()
    assert country.pk == TINY.countries + 1


def test_world_covers_what_the_record_holds():
    spells = Membership.objects.all()
    assert set(spells.values_list("role", flat=True)) == set(Role.values)
    assert spells.filter(suspension_start__isnull=False, suspension_end__isnull=True).exists()
    assert spells.filter(suspension_end__isnull=False).exists()
    assert spells.filter(end__isnull=True).exists()
    assert spells.filter(end_reason="dissolved").exists()
    several = spells.values("country", "bloc").annotate(n=Count("id"))
    assert max(row["n"] for row in several) >= 2
    for precision in ("day", "month", "year"):
        assert spells.filter(start_precision=precision).exists()
    assert Bloc.objects.filter(parent__isnull=False).exists()
    assert Succession.objects.exists()
    assert Bloc.objects.filter(dissolved__isnull=False).exists()
    assert Event.objects.filter(memberships__isnull=False, kind="accession").exists()
    assert Event.objects.filter(countries__isnull=False).exists()
    assert Event.objects.filter(sources__isnull=False).exists()
    assert Event.objects.filter(end_date__isnull=False).exists()


def test_every_record_passes_model_validation():
    # PostgreSQL has already checked the constraints; the model's own rules must agree with it.
    for model in (Country, Bloc, Membership, Source):
        for record in model.objects.all():
            record.full_clean()
    for event in Event.objects.all()[:100]:
        event.full_clean()


def test_event_titles_are_unique_per_date():
    assert Event.objects.values("date", "title").distinct().count() == TINY.events


def test_refuses_a_database_that_already_holds_records():
    flush()
    country = make_country()
    with pytest.raises(CommandError, match="already holds curated records"):
        make_world()
    assert list(Country.objects.all()) == [country]
    assert not Bloc.objects.exists()


def test_flush_replaces_what_was_there():
    flush()
    make_country(name="Old record")
    make_world(3, "--flush")
    assert not Country.objects.filter(name="Old record").exists()
    assert Country.objects.count() == TINY.countries


def test_admin_history_page_of_a_synthetic_spell(curator_client):
    spell = Membership.objects.first()
    response = curator_client.get(f"/admin/blocs/membership/{spell.pk}/history/")
    assert response.status_code == 200
    assert "synthetic world, seed 3" in response.content.decode()


def test_a_share_of_spells_events_and_blocs_has_disputed_dates():
    for model, owner, _, share in CLAIMS:
        disputed = model.objects.values(model.OWNER).distinct().count()
        assert disputed == max(1, round(owner.objects.count() * share)), model
    assert MembershipClaim.objects.filter(reading__isnull=False).exists()
    assert EventClaim.objects.filter(rank=Rank.DEPRECATED).exists()
    assert Reading.objects.count() == 2


def test_every_disputed_date_has_one_preferred_claim_equal_to_the_record_and_cited_sources():
    for model in (MembershipClaim, EventClaim, BlocClaim):
        facts = model.objects.values(model.OWNER, "field").annotate(
            preferred=Count("id", filter=Q(rank=Rank.PREFERRED)),
            alternatives=Count("id", filter=Q(rank=Rank.ALTERNATIVE)),
        )
        assert facts and all(f["preferred"] == 1 and f["alternatives"] == 1 for f in facts), model
        for claim in model.objects.select_related(model.OWNER).prefetch_related("sources"):
            claim.full_clean()
            assert claim.sources.all(), claim
            if claim.rank == Rank.PREFERRED:
                assert claim.matches_record()
            else:
                assert not claim.matches_record()
        assert model.history.count() == model.objects.count()


def test_disputed_dates_show_on_the_disputes_page(client):
    claim = MembershipClaim.objects.select_related("membership__country").filter(rank=Rank.ALTERNATIVE).first()
    response = client.get("/disputes/")
    assert response.status_code == 200
    assert claim.membership.country.name in response.content.decode()
