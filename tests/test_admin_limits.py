"""Admin work that must stay bounded whatever is asked: searches cut to a few words, JSON exports streamed."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eurasia.search import MAX_CHARS, MAX_WORDS
from tests.conftest import make_bloc, make_country, make_event, make_membership
from tests.spreadsheet_forms import fields, url

pytestmark = pytest.mark.django_db

CUT = f"A search takes at most {MAX_WORDS} words and {MAX_CHARS} characters"


def queries(client, address):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("model", ["blocs_membership", "events_event", "blocs_country", "blocs_source"])
def test_a_search_of_thousands_of_words_is_cut_to_ten_with_a_message(admin_client, model):
    changelist = reverse(f"admin:{model}_changelist")
    short, short_sql = queries(admin_client, changelist + "?q=" + " ".join(["kaz"] * MAX_WORDS))
    assert CUT not in short.content.decode()
    long, long_sql = queries(admin_client, changelist + "?q=" + " ".join(["kaz"] * 3000))
    assert CUT in long.content.decode()
    # The same query as for ten words: nothing in it grows with the words asked for.
    assert [len(sql) for sql in long_sql if "kaz" in sql.lower()] == [
        len(sql) for sql in short_sql if "kaz" in sql.lower()
    ]


def test_a_long_search_still_finds_what_its_first_words_name(admin_client):
    kaz = make_country(name="Kazakhstan", alpha3="KAZ", alpha2="KZ")
    make_membership(country=kaz)
    make_membership()
    page = admin_client.get(reverse("admin:blocs_membership_changelist") + "?q=" + "kazakh " * 500).content.decode()
    assert CUT in page
    assert "Kazakhstan" in page and "1 membership" in page


def test_a_search_of_many_characters_in_few_words_is_cut_too(admin_client):
    page = admin_client.get(reverse("admin:events_event_changelist") + "?q=" + "x" * 5000).content.decode()
    assert CUT in page


def test_an_autocomplete_box_cuts_its_term_silently(admin_client):
    make_membership()
    address = (
        reverse("admin:autocomplete")
        + "?"
        + "&".join([f"term={'kaz ' * 3000}", "app_label=events", "model_name=event", "field_name=memberships"])
    )
    response = admin_client.get(address)
    assert response.status_code == 200
    assert json.loads(response.content)["results"] == []
    page = admin_client.get(reverse("admin:events_event_changelist")).content.decode()
    assert CUT not in page


def export_json(client, app, model):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url(app, model, "export"), {"format": "2", "resource": "0", **fields(app, model)})
        assert response.status_code == 200
        assert response.streaming
        content = b"".join(response.streaming_content)
    return json.loads(content), len(captured.captured_queries)


def test_json_export_streams_in_the_same_queries_for_any_number_of_rows(analyst_client):
    bloc, country = make_bloc(slug="csto"), make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
    make_event(title="=First", blocs=[bloc], countries=[country])
    one, queries_for_one = export_json(analyst_client, "events", "event")
    for n in range(40):
        make_event(title=f"Event {n}", blocs=[bloc])
    many, queries_for_many = export_json(analyst_client, "events", "event")
    assert queries_for_one == queries_for_many
    assert len(one) == 1 and len(many) == 41
    first = next(row for row in many if row["title"] == "=First")
    assert (first["blocs"], first["countries"], first["date"], first["date precision"]) == (
        "csto",
        "KAZ",
        "2012-12-19",
        "day",
    )


def test_a_spell_search_is_answered_from_indexes(admin_client):
    """Each word becomes country and bloc ids plus the notes' trigram index: no spell is read to find it."""
    kaz = make_country(name="Kazakhstan", alpha3="KAZ", alpha2="KZ")
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization")
    for n in range(15):
        make_membership(country=kaz, bloc=make_bloc(), notes=f"spell {n}")
        make_membership(bloc=csto, notes=f"renewed {n}")
    response, sql = queries(admin_client, reverse("admin:blocs_membership_changelist") + "?q=kazakh+spell")
    assert "15 memberships" in response.content.decode()
    page = next(q for q in sql if 'COUNT(*) AS "__count" FROM "blocs_membership"' in q)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be read whole anyway
        cursor.execute("EXPLAIN " + page)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "membership_notes_trgm" in plan, plan
    assert "SubPlan" not in plan, plan
