"""The curators' quality checks: what each finds, the counts on the admin index, paging, reviewing, who may see them."""

import importlib

import pytest
from django.urls import reverse
from django.utils import timezone

from blocs.models import Rank, Source
from events.models import EventBloc
from events.quality import BY_SLUG, CHECKS, count_words, counts
from events.quality_views import FINDINGS_PER_PAGE
from exchange.dumping import dump
from exchange.records import LoadError, load
from exchange.reloading import UPDATE
from tests.claim_makers import dispute
from tests.conftest import d, make_bloc, make_event, make_membership, make_source
from tests.spreadsheet_forms import assert_refused, export, import_file

pytestmark = pytest.mark.django_db


def findings(slug):
    return list(BY_SLUG[slug].findings())


@pytest.fixture
def record():
    """One finding for each check, and records beside them that pass every check."""
    two = [make_source(title_checked=True), make_source(title_checked=True)]
    bloc = make_bloc(slug="union", founded=d("2000-01-01"), dissolved=d("2010-01-01"))
    bloc.sources.set(two)
    sourceless_bloc = make_bloc(slug="no-sources")
    good_spell = make_membership(bloc=bloc, start="2001-01-01")
    good_spell.sources.set(two)
    thin_spell = make_membership(bloc=bloc, start="2002-01-01")
    thin_spell.sources.set(two[:1])
    bare_spell = make_membership(bloc=bloc, start="2003-01-01")
    make_event(title="Well sourced", date=d("2005-01-01"), blocs=[bloc], sources=two)
    thin_event = make_event(title="One source", date=d("2005-02-01"), blocs=[bloc], sources=two[:1])
    bare_event = make_event(title="No source", date=d("2005-03-01"), sources=[])
    early = make_event(title="Treaty signed before the union", date=d("1999-06-01"), blocs=[bloc], sources=two)
    late = make_event(title="After the end", date=d("2010-01-01"), blocs=[bloc], sources=two)
    unchecked = make_source(key="read-off-url", title="Read off the URL")
    make_source(key="no-title", title="")  # nothing to check
    preferred, _ = dispute(thin_event, "date", "2005-02-02")
    type(preferred).objects.filter(pk=preferred.pk).update(reason="")
    Source.objects.exclude(pk=unchecked.pk).update(title_checked=True)  # the claims' sources too
    return {
        "bloc": bloc,
        "sourceless_bloc": sourceless_bloc,
        "thin_spell": thin_spell,
        "bare_spell": bare_spell,
        "thin_event": thin_event,
        "bare_event": bare_event,
        "early": early,
        "late": late,
        "unchecked": unchecked,
        "preferred": preferred,
    }


class TestChecks:
    def test_each_check_finds_its_records_and_only_them(self, record):
        assert findings("single-source-spells") == [record["thin_spell"]]
        assert findings("single-source-events") == [record["thin_event"]]
        assert findings("unchecked-titles") == [record["unchecked"]]
        assert findings("unexplained-event-dates") == [record["preferred"]]
        assert findings("unexplained-bloc-dates") == findings("unexplained-spell-dates") == []
        assert [link.event for link in findings("outside-bloc-lifetime")] == [record["early"], record["late"]]
        assert findings("blocs-without-sources") == [record["sourceless_bloc"]]
        assert findings("spells-without-sources") == [record["bare_spell"]]
        assert findings("events-without-sources") == [record["bare_event"]]

    def test_counts_come_in_one_query(self, record, django_assert_num_queries):
        # The records' state (the key the counts are kept under), then every count in one query.
        with django_assert_num_queries(2):
            found = dict((check.slug, n) for check, n in counts())
        assert found == {check.slug: len(findings(check.slug)) for check in CHECKS}
        assert found["outside-bloc-lifetime"] == 2
        # Kept until a record changes: the state alone.
        with django_assert_num_queries(1):
            assert dict((check.slug, n) for check, n in counts()) == found
        make_source(key="one-more-unread", title="One more")
        assert dict((check.slug, n) for check, n in counts())["unchecked-titles"] == found["unchecked-titles"] + 1

    def test_pending_readers_suggestions_are_a_check(self, record):
        from corrections.models import Status
        from tests.suggestion_makers import make_suggestion

        waiting = make_suggestion(record["thin_event"], what="The date is a day early.")
        make_suggestion(
            record["thin_event"],
            what="Decided already.",
            status=Status.DECLINED,
            review_reason="No.",
            reviewed_at=timezone.now(),
        )
        assert findings("pending-suggestions") == [waiting]
        assert dict((check.slug, n) for check, n in counts())["pending-suggestions"] == 1
        assert BY_SLUG["pending-suggestions"].link(waiting) == reverse(
            "admin:corrections_suggestion_change", args=[waiting.pk]
        )

    def test_counts_stop_past_a_thousand_and_say_so(self, monkeypatch):
        monkeypatch.setattr("events.quality.MOST_COUNTED", 3)
        for n in range(5):
            make_source(key=f"unread-{n}", title=f"Unread {n}")
        assert dict((check.slug, n) for check, n in counts())["unchecked-titles"] == 4
        assert count_words(4) == "more than 3"
        assert count_words(3) == "3"

    def test_a_preferred_claim_with_a_reason_is_not_a_finding(self, record):
        type(record["preferred"]).objects.filter(pk=record["preferred"].pk).update(reason="Signature day.")
        assert findings("unexplained-event-dates") == []

    def test_an_undisputed_date_is_not_a_finding(self, record):
        # Only the preferred claim left: the date carries no other claim, so it is not disputed.
        model = type(record["preferred"])
        model.objects.filter(event=record["thin_event"]).exclude(rank=Rank.PREFERRED).delete()
        assert findings("unexplained-event-dates") == []


class TestPages:
    def test_index_counts_the_checks_and_links_them(self, curator_client, record):
        response = curator_client.get(reverse("admin:index"))
        text = response.content.decode()
        assert 'id="quality-summary"' in text
        assert reverse("quality:overview") in text
        assert f'{reverse("quality:check", args=["outside-bloc-lifetime"])}">Events dated outside the lifetime' in text
        assert '<td class="quality-count">2</td>' in text

    def test_overview_lists_every_check_with_its_count(self, curator_client, record, django_assert_num_queries):
        # session, user, the user's own permissions and their groups', the records' state, the counts of every
        # check in one query
        with django_assert_num_queries(6):
            response = curator_client.get(reverse("quality:overview"))
        assert response.status_code == 200
        text = response.content.decode()
        for check in CHECKS:
            assert str(check.title) in text
            assert reverse("quality:check", args=[check.slug]) in text

    def test_findings_link_to_their_records_admin_pages(self, curator_client, record, django_assert_num_queries):
        # session, user, permissions (two), the records' state, the counts (the paginator's too), the page of findings
        with django_assert_num_queries(7):
            response = curator_client.get(reverse("quality:check", args=["unexplained-event-dates"]))
        text = response.content.decode()
        assert reverse("admin:events_event_change", args=[record["thin_event"].pk]) in text
        response = curator_client.get(reverse("quality:check", args=["unchecked-titles"]))
        assert reverse("admin:blocs_source_change", args=[record["unchecked"].pk]) in response.content.decode()
        assert "no-title" not in response.content.decode()

    def test_findings_come_a_page_at_a_time(self, curator_client):
        for n in range(FINDINGS_PER_PAGE + 3):
            make_source(key=f"unread-{n:03d}", title=f"Unread {n}")
        first = curator_client.get(reverse("quality:check", args=["unchecked-titles"])).content.decode()
        assert "unread-049" in first and "unread-050" not in first
        assert "page 1 of 2" in first
        second = curator_client.get(reverse("quality:check", args=["unchecked-titles"]) + "?page=2").content.decode()
        assert "unread-050" in second and "unread-052" in second and "unread-000" not in second
        # A page number that is not one shows the first page, not an error.
        for bad in ("abc", "-1", "9" * 50):
            response = curator_client.get(reverse("quality:check", args=["unchecked-titles"]) + f"?page={bad}")
            assert response.status_code == 200

    def test_an_unknown_check_is_not_found(self, curator_client):
        assert curator_client.get(reverse("quality:check", args=["no-such-check"])).status_code == 404

    def test_pages_in_russian(self, curator_client, record):
        response = curator_client.get("/ru/admin/quality/")
        assert response.status_code == 200
        text = response.content.decode()
        assert "Проверки качества" in text
        assert "События за пределами срока жизни их блока" in text
        index = curator_client.get("/ru/admin/").content.decode()
        assert "/ru/admin/quality/" in index


class TestReview:
    def test_reviewed_events_drop_off_the_list(self, curator_client, record):
        link = EventBloc.objects.get(event=record["early"], bloc=record["bloc"])
        page = curator_client.get(reverse("quality:check", args=["outside-bloc-lifetime"])).content.decode()
        assert reverse("quality:review", args=[link.pk]) in page
        response = curator_client.post(reverse("quality:review", args=[link.pk]), follow=True)
        assert "Reviewed: 1 June 1999: Treaty signed before the union" in response.content.decode()
        link.refresh_from_db()
        assert link.lifetime_reviewed
        assert [x.event for x in findings("outside-bloc-lifetime")] == [record["late"]]

    def test_reviewing_needs_a_post(self, curator_client, record):
        link = EventBloc.objects.get(event=record["early"], bloc=record["bloc"])
        assert curator_client.get(reverse("quality:review", args=[link.pk])).status_code == 405
        link.refresh_from_db()
        assert not link.lifetime_reviewed

    def test_analysts_neither_see_nor_review(self, analyst_client, record):
        link = EventBloc.objects.get(event=record["early"], bloc=record["bloc"])
        assert analyst_client.get(reverse("quality:overview")).status_code == 403
        assert analyst_client.get(reverse("quality:check", args=["unchecked-titles"])).status_code == 403
        assert analyst_client.post(reverse("quality:review", args=[link.pk])).status_code == 403
        link.refresh_from_db()
        assert not link.lifetime_reviewed
        assert 'id="quality-summary"' not in analyst_client.get(reverse("admin:index")).content.decode()

    def test_readers_are_sent_to_log_in(self, client, record):
        response = client.get(reverse("quality:overview"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestTitleChecked:
    def test_seed_titles_read_off_urls_are_unchecked(self, seed):
        unchecked = Source.objects.filter(title_checked=False).exclude(title="")
        assert unchecked.count() == 113
        assert all("not checked against the page" in s.notes for s in unchecked)
        assert Source.objects.get(key="24kg-100583").title_checked is False
        checked = Source.objects.filter(title_checked=True)
        assert checked.exists() and not checked.filter(notes__icontains="not checked against the page").exists()

    def test_the_source_list_filters_on_it(self, curator_client, seed):
        url = reverse("admin:blocs_source_changelist")
        unchecked = reverse("admin:blocs_source_change", args=[Source.objects.get(key="24kg-100583").pk])
        response = curator_client.get(url + "?title_checked__exact=0&q=24kg-100583")
        assert response.status_code == 200
        assert unchecked in response.content.decode()
        response = curator_client.get(url + "?title_checked__exact=1&q=24kg-100583")
        assert unchecked not in response.content.decode()

    def test_the_exchange_file_carries_it(self, seed):
        rows = {s["key"]: s for s in dump()["sources"]}
        assert rows["24kg-100583"]["title_checked"] is False
        assert sum(1 for s in rows.values() if s["title"] and not s["title_checked"]) == 113


class TestTitleCheckedInSpreadsheets:
    def test_imports_set_it_and_files_without_it_leave_it(self, curator_client):
        make_source(key="kept", title="Kept", title_checked=True)
        import_file(curator_client, "blocs", "source", b"key,title,title checked\nfresh,Fresh,yes\nkept,Kept,\n")
        assert Source.objects.get(key="fresh").title_checked is True
        assert Source.objects.get(key="kept").title_checked is False  # an empty cell says no
        Source.objects.filter(key="kept").update(title_checked=True)
        import_file(curator_client, "blocs", "source", b"key,title\nkept,Kept again\n")
        assert Source.objects.get(key="kept").title_checked is True

    def test_a_value_that_is_not_yes_or_no_is_refused(self, curator_client):
        assert_refused(
            curator_client, "blocs", "source", b"key,title,title checked\nodd,Odd,perhaps\n", "is not yes or no"
        )
        assert not Source.objects.filter(key="odd").exists()

    def test_exports_say_yes_or_no(self, curator_client):
        make_source(key="seen", title="Seen", title_checked=True)
        make_source(key="unseen", title="Unseen")
        content = export(curator_client, "blocs", "source")[0].decode()
        assert "seen,Seen,yes," in content and "unseen,Unseen,no," in content


class TestReviewedInTheExchangeFile:
    def test_reviewed_marks_survive_a_dump_and_load(self, record):
        EventBloc.objects.filter(event=record["early"]).update(lifetime_reviewed=True)
        data = dump()
        rows = {e["title"]: e for e in data["events"]}
        assert rows["Treaty signed before the union"]["blocs_reviewed"] == ["union"]
        assert "blocs_reviewed" not in rows["After the end"]
        EventBloc.objects.update(lifetime_reviewed=False)
        load(data, existing=UPDATE)
        assert [x.event for x in findings("outside-bloc-lifetime")] == [record["late"]]

    def test_a_reviewed_bloc_the_event_is_not_linked_to_is_refused(self, record):
        data = dump()
        row = next(e for e in data["events"] if e["title"] == "After the end")
        row["blocs_reviewed"] = ["no-sources"]
        with pytest.raises(LoadError) as refused:
            load(data, existing=UPDATE)
        assert "blocs_reviewed must list some of the event's own blocs" in str(refused.value.problems)
        assert not EventBloc.objects.filter(lifetime_reviewed=True).exists()


def test_the_migration_marks_titles_checked_unless_the_notes_say_otherwise(db):
    from django.apps import apps

    migration = importlib.import_module("blocs.migrations.0018_source_title_checked")
    read_off_url = make_source(
        key="url", title="From the URL", notes="Title read off the URL; not checked against the page."
    )
    not_seen = make_source(key="unseen", title="Guessed", notes="Title not seen; contains the protocol text.")
    official = make_source(key="official", title="Charter", notes="Official.")
    untitled = make_source(key="untitled", title="")
    migration.mark_checked(apps, None)
    checked = dict(Source.objects.values_list("key", "title_checked"))
    assert checked == {read_off_url.key: False, not_seen.key: False, official.key: True, untitled.key: False}
