"""The public pages before anything is recorded, and the error pages: nothing breaks on an empty record."""

import pytest
from django.template.loader import render_to_string

from .pages import assert_strict_csp_friendly, page, text_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, message",
    [
        ("/", "No blocs are recorded yet."),
        ("/blocs/", "No blocs are recorded yet."),
        ("/countries/", "No countries are recorded yet."),
        ("/events/", "No events are recorded yet."),
        ("/on/2012-12-05/", "No bloc is recorded as existing on 5 December 2012."),
    ],
)
def test_empty_record_renders_a_plain_message(client, url, message):
    html = page(client, url)
    assert message in text_of(html)
    assert_strict_csp_friendly(html)


def test_server_error_page_renders_without_a_request_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Something went wrong" in text_of(html)


def test_not_found_page_offers_a_way_on(client):
    words = text_of(page(client, "/no-such-page/", status=404))
    assert "There is no page at this address." in words
    assert "Who belonged to what on" in words
