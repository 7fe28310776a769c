"""Readers' corrections: the public form on every record's page, pending until a curator decides, and its defences."""

import pytest
from django.urls import reverse

from blocs.models import Membership, MembershipClaim
from corrections.models import Status, Suggestion
from eurasia import page_cache

from .conftest import d, make_bloc, make_country, make_event, make_membership

pytestmark = pytest.mark.django_db

GOOD = {
    "what": "The spell began when the treaty entered into force, not when it was signed.",
    "proposed_date": "2006-06",
    "proposed_text": "",
    "source_url": "https://www.odkb-csto.org/documents/",
    "email": "reader@example.org",
    "website": "",
}


@pytest.fixture
def spell():
    armenia = make_country(alpha3="ARM", alpha2="AM", name="Armenia", name_ru="Армения")
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", abbreviations=["CSTO", "ОДКБ"])
    return make_membership(country=armenia, bloc=csto, start="2006-08-16")


def suggest_url(kind, key, field=""):
    if field:
        return reverse("corrections:suggest-fact", args=[kind, key, field])
    return reverse("corrections:suggest", args=[kind, key])


class TestTheLinks:
    def test_bloc_country_and_event_pages_link_to_their_forms(self, client, spell):
        event = make_event(title="Summit in Minsk", blocs=[spell.bloc])
        bloc_page = client.get(spell.bloc.get_absolute_url()).content.decode()
        assert f'href="{suggest_url("bloc", "csto")}"' in bloc_page
        # Each spell on the bloc's and the country's pages has its own.
        assert f'href="{suggest_url("spell", spell.pk)}"' in bloc_page
        country_page = client.get(spell.country.get_absolute_url()).content.decode()
        assert f'href="{suggest_url("country", "arm")}"' in country_page
        assert f'href="{suggest_url("spell", spell.pk)}"' in country_page
        event_page = client.get(event.get_absolute_url()).content.decode()
        assert f'href="{suggest_url("event", event.pk)}"' in event_page

    def test_a_record_form_links_to_the_form_of_each_of_its_dates(self, client, spell):
        page = client.get(suggest_url("spell", spell.pk)).content.decode()
        for field in ("start", "end", "suspension_start", "suspension_end"):
            assert f'href="{suggest_url("spell", spell.pk, field)}"' in page
        assert "Armenia in CSTO" in page
        assert 'name="proposed_date"' not in page  # the record's form asks for words, its dates' for a date


class TestTheForm:
    @pytest.mark.parametrize("kind", ["bloc", "country", "event", "spell"])
    def test_each_kind_of_record_takes_a_suggestion(self, client, spell, kind):
        event = make_event(title="Summit in Minsk")
        key = {"bloc": "csto", "country": "arm", "event": event.pk, "spell": spell.pk}[kind]
        response = client.post(suggest_url(kind, key), {**GOOD, "proposed_date": "", "proposed_text": "Yerevan"})
        assert response.status_code == 302
        assert response["Location"] == reverse("corrections:thanks", args=[kind, key])
        suggestion = Suggestion.objects.get()
        assert (suggestion.kind, suggestion.status, suggestion.field) == (kind, Status.PENDING, "")
        assert (
            suggestion.record.pk
            == {"bloc": spell.bloc, "country": spell.country, "event": event, "spell": spell}[kind].pk
        )
        thanks = client.get(response["Location"]).content.decode()
        assert "waiting for a curator" in thanks

    def test_a_date_suggestion_names_its_fact_and_keeps_the_precision(self, client, spell):
        response = client.post(suggest_url("spell", spell.pk, "start"), GOOD)
        assert response.status_code == 302
        suggestion = Suggestion.objects.get()
        assert (suggestion.field, suggestion.proposed_date, suggestion.proposed_date_precision) == (
            "start",
            d("2006-06-01"),
            "month",
        )
        assert suggestion.membership == spell

    def test_the_form_of_a_date_shows_what_the_record_says(self, client, spell):
        page = client.get(suggest_url("spell", spell.pk, "start")).content.decode()
        assert "recorded as 16 August 2006" in page
        assert 'name="proposed_date"' in page

    def test_the_form_in_russian(self, client, spell):
        url = "/ru" + suggest_url("spell", spell.pk, "start")
        page = client.get(url).content.decode()
        assert "Предложить исправление" in page
        assert "Армения в ОДКБ" in page
        assert "16 августа 2006 г." in page
        response = client.post(url, {**GOOD, "proposed_date": "2006-13"})
        assert response.status_code == 400
        assert "«2006-13»: месяца 13 не существует." in response.content.decode()

    def test_a_pending_suggestion_changes_nothing_public(self, client, spell):
        def body(url):
            response = client.get(url)
            return b"".join(response.streaming_content) if response.streaming else response.content

        before = {url: body(url) for url in (spell.bloc.get_absolute_url(), "/data/memberships.csv")}
        state = page_cache.records_state()
        client.post(suggest_url("spell", spell.pk, "start"), GOOD)
        assert Suggestion.objects.count() == 1
        page_cache.store().clear()
        after = {url: body(url) for url in before}
        assert after == before
        assert page_cache.records_state() == state
        spell.refresh_from_db()
        assert spell.start == d("2006-08-16")
        assert not MembershipClaim.objects.exists()

    def test_the_email_is_never_shown_publicly(self, client, spell):
        client.post(suggest_url("spell", spell.pk, "start"), GOOD)
        for url in (spell.bloc.get_absolute_url(), spell.country.get_absolute_url(), suggest_url("spell", spell.pk)):
            assert "reader@example.org" not in client.get(url).content.decode()

    def test_the_form_page_query_count(self, client, spell, django_assert_num_queries):
        # Queries: the spell with its country and bloc.
        with django_assert_num_queries(1):
            assert client.get(suggest_url("spell", spell.pk, "start")).status_code == 200
        with django_assert_num_queries(1):
            assert client.get(suggest_url("bloc", "csto")).status_code == 200


class TestBadInput:
    def stored_nothing(self):
        return not Suggestion.objects.exists()

    @pytest.mark.parametrize(
        "url",
        [
            "/suggest/bloc/no-such-bloc/",
            "/suggest/country/zzz/",
            "/suggest/country/toolong/",
            "/suggest/event/999999/",
            "/suggest/event/99999999999999999999999/",
            "/suggest/spell/0/",
            "/suggest/treaty/1/",
        ],
    )
    def test_an_unknown_record_is_not_found(self, client, spell, url):
        assert client.get(url).status_code == 404
        assert client.post(url, GOOD).status_code == 404
        assert self.stored_nothing()

    def test_an_unknown_date_is_not_found(self, client, spell):
        assert client.get(suggest_url("spell", spell.pk, "founded")).status_code == 404
        assert client.get(suggest_url("country", "arm", "start")).status_code == 404

    @pytest.mark.parametrize(
        "changes, message",
        [
            ({"what": "   "}, "This field is required."),
            ({"what": "x" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
            ({"proposed_text": "x" * 1001}, "Ensure this value has at most 1000 characters (it has 1001)."),
            ({"email": "x" * 250 + "@example.org"}, "Ensure this value has at most 254 characters"),
            ({"email": "not an address"}, "Enter a valid email address."),
            ({"source_url": "javascript:alert(1)"}, "Enter a valid URL."),
            ({"source_url": "ftp://example.org/file"}, "Enter a valid URL."),
            ({"source_url": "https://" + "a" * 1000 + ".org"}, "Ensure this value has at most 1000 characters"),
            ({"proposed_date": "31 Febtember 2012"}, "is not the name of a month"),
            ({"proposed_date": "2012-02-30"}, "February 2012 has no day 30"),
            ({"proposed_date": "x" * 41}, "That is too long to be a date."),
            ({"proposed_date": "0000"}, "the year must be 1 or later"),
            ({"proposed_date": "", "proposed_text": ""}, "Give the date you propose, or say in words"),
            ({"source_url": ""}, "A proposed date needs the link to the source that gives it."),
            ({"what": "nul\x00byte"}, "Null characters are not allowed."),
        ],
    )
    def test_bad_input_is_explained_and_stores_nothing(self, client, spell, changes, message):
        response = client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, **changes})
        assert response.status_code == 400
        assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
        assert self.stored_nothing()

    def test_the_honeypot_refuses_and_says_why(self, client, spell):
        response = client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, "website": "http://spam.example"})
        assert response.status_code == 400
        assert "Leave this empty" in response.content.decode()
        assert self.stored_nothing()

    def test_an_oversized_body_is_refused_before_it_is_read(self, client, spell):
        response = client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, "what": "x" * 100_000})
        assert response.status_code == 413
        assert "Shorten it" in response.content.decode()
        assert self.stored_nothing()

    def test_a_malformed_body_is_explained(self, client, spell):
        response = client.post(
            suggest_url("spell", spell.pk, "start"),
            data=b"--nope\r\nContent-Disposition: form-data\r\n\r\nx",
            content_type="multipart/form-data",  # no boundary
        )
        assert response.status_code == 400
        assert "The form could not be read" in response.content.decode()
        assert self.stored_nothing()

    def test_script_payloads_are_kept_as_text_and_shown_escaped(self, admin_client, client, spell):
        payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, "what": payload, "proposed_text": payload})
        suggestion = Suggestion.objects.get()
        assert suggestion.what == payload
        for url in (
            reverse("admin:corrections_suggestion_change", args=[suggestion.pk]),
            reverse("admin:corrections_suggestion_changelist") + "?status__exact=pending",
        ):
            page = admin_client.get(url).content.decode()
            assert "<script>alert" not in page and "<img src=x" not in page
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page

    def test_a_payload_sent_back_with_an_error_is_escaped(self, client, spell):
        payload = "<script>alert(1)</script>"
        response = client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, "what": payload, "source_url": "x"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestRateLimit:
    def test_a_flood_from_one_address_stores_at_most_the_limit(self, client, spell, settings):
        settings.SUGGESTION_RATE_LIMIT = {"suggestions": 5, "window": 3600}
        statuses = [client.post(suggest_url("spell", spell.pk, "start"), GOOD).status_code for _ in range(1000)]
        assert statuses[:5] == [302] * 5
        assert set(statuses[5:]) == {429}
        assert Suggestion.objects.count() == 5

    def test_the_page_says_when_to_try_again(self, client, spell, settings):
        settings.SUGGESTION_RATE_LIMIT = {"suggestions": 1, "window": 600}
        client.post(suggest_url("spell", spell.pk, "start"), GOOD)
        response = client.post(suggest_url("spell", spell.pk, "start"), GOOD)
        assert response.status_code == 429
        assert 590 <= int(response["Retry-After"]) <= 600
        assert "You can send another in 10 minutes." in response.content.decode()
        russian = client.post("/ru" + suggest_url("spell", spell.pk, "start"), GOOD)
        assert russian.status_code == 429
        assert "Попробуйте позже" in russian.content.decode()

    def test_refused_attempts_count_too(self, client, spell, settings):
        settings.SUGGESTION_RATE_LIMIT = {"suggestions": 3, "window": 3600}
        for _ in range(3):
            assert client.post(suggest_url("spell", spell.pk, "start"), {**GOOD, "what": ""}).status_code == 400
        assert client.post(suggest_url("spell", spell.pk, "start"), GOOD).status_code == 429
        assert not Suggestion.objects.exists()

    def test_another_address_is_not_held_back(self, client, spell, settings):
        settings.SUGGESTION_RATE_LIMIT = {"suggestions": 1, "window": 3600}
        client.post(suggest_url("spell", spell.pk, "start"), GOOD, REMOTE_ADDR="192.0.2.1")
        assert client.post(suggest_url("spell", spell.pk, "start"), GOOD, REMOTE_ADDR="192.0.2.1").status_code == 429
        assert client.post(suggest_url("spell", spell.pk, "start"), GOOD, REMOTE_ADDR="192.0.2.2").status_code == 302
        assert Suggestion.objects.count() == 2

    def test_reading_the_form_is_not_limited(self, client, spell, settings):
        settings.SUGGESTION_RATE_LIMIT = {"suggestions": 1, "window": 3600}
        assert all(client.get(suggest_url("spell", spell.pk)).status_code == 200 for _ in range(5))


def test_a_spell_deleted_takes_its_suggestions(client, spell):
    client.post(suggest_url("spell", spell.pk, "start"), GOOD)
    Membership.objects.filter(pk=spell.pk).delete()
    assert not Suggestion.objects.exists()
