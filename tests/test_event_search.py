"""The events' stored search vector (events migration 0010): the same words as the expression it replaced, kept current."""

import pytest

from events.models import Event, search_text_vector, search_vector

from .conftest import make_event

pytestmark = pytest.mark.django_db


def stored_and_computed(event):
    return (
        Event.objects.filter(pk=event.pk)
        .annotate(stored=search_vector(), computed=search_text_vector())
        .values_list("stored", "computed")
        .get()
    )


def test_the_stored_vector_is_the_expressions_and_follows_each_change():
    event = make_event(
        title="Summit in Osh",
        description="Leaders met in the south.",
        location="Osh",
        title_ru="Саммит в Оше",
        description_ru="Лидеры встретились на юге.",
    )
    stored, computed = stored_and_computed(event)
    assert stored == computed and "'osh'" in stored and "'самм'" in stored  # stemmed in each language
    event.title, event.title_ru = "Treaty signed in Bishkek", ""
    event.save()
    stored, computed = stored_and_computed(event)
    assert stored == computed and "'bishkek'" in stored and "'самм'" not in stored


def test_a_search_finds_events_by_their_stored_words_in_either_language(client):
    make_event(title="Summit in Osh", title_ru="Саммит в Оше")
    make_event(title="Treaty signed in Minsk")
    assert [e.title for e in Event.objects.search("Osh")] == ["Summit in Osh"]
    assert [e.title for e in Event.objects.search("саммит")] == ["Summit in Osh"]
    html = client.get("/events/?q=minsk").content.decode()
    assert "Treaty signed in Minsk" in html and "Summit in Osh" not in html
