"""Claims in the admin's spreadsheets: exported one row per claim by natural keys, imported back with the claim rules kept."""

import csv
import io

import openpyxl
import pytest

from blocs.models import BlocClaim, MembershipClaim, Rank, Reading
from events.models import EventClaim

from .claim_makers import dispute, make_claim
from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source
from .spreadsheet_forms import (
    CSV,
    EXPORT_XLSX,
    XLSX,
    assert_refused,
    confirm,
    export,
    import_file,
    snapshot,
    upload,
)

pytestmark = pytest.mark.django_db

CLAIMS = [("blocs", "membershipclaim"), ("blocs", "blocclaim"), ("events", "eventclaim")]
SPELL_HEADER = "country,bloc,spell start,field,value,value precision,rank,reason,reading,sources\n"


@pytest.fixture
def disputed():
    """A spell, a bloc and an event, each with a disputed date, and a reading."""
    atop = Reading.objects.create(key="atop-5-1", name="ATOP v5.1")
    treaty, tass = make_source(key="treaty"), make_source(key="tass")
    arm = make_country(alpha3="ARM", alpha2="AM", name="Armenia")
    csto = make_bloc(slug="csto", name="CSTO", founded=d("2002-10-07"))
    spell = make_membership(country=arm, bloc=csto, start=d("1994-04-20"), end=d("2024-06-01"))
    dispute(spell, "start", "1992-05", reading=atop, sources=[treaty, tass])
    make_claim(spell, "end", "2024-06-01", Rank.PREFERRED, reason="announced withdrawal", sources=[tass])
    make_claim(spell, "end", None, Rank.DEPRECATED, reason="never formally withdrew", sources=[treaty])
    dispute(csto, "founded", "2002-05-14", sources=[treaty])
    event = make_event(date=d("2012-06-28"), title="Uzbekistan suspends its participation")
    dispute(event, "date", "2012-06", sources=[tass])
    return {"spell": spell, "bloc": csto, "event": event, "reading": atop}


def rows(content):
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


class TestExport:
    def test_one_row_per_claim_naming_its_spell_by_country_bloc_and_start(self, curator_client, disputed):
        content, response = export(curator_client, "blocs", "membershipclaim")
        assert response["Content-Type"].startswith("text/csv")
        found = {(r["field"], r["value"], r["rank"]): r for r in rows(content)}
        assert len(found) == 4
        alternative = found[("start", "1992-05", "alternative")]
        assert (alternative["country"], alternative["bloc"], alternative["spell start"]) == (
            "ARM",
            "csto",
            "1994-04-20",
        )
        assert alternative["value precision"] == "month"
        assert alternative["reading"] == "atop-5-1"
        assert alternative["sources"] == "tass; treaty"
        no_date = found[("end", "", "deprecated")]
        assert no_date["reason"] == "never formally withdrew" and no_date["value precision"] == ""

    def test_bloc_and_event_claims_name_their_record_by_slug_and_by_date_and_title(self, curator_client, disputed):
        blocs = rows(export(curator_client, "blocs", "blocclaim")[0])
        assert {(r["bloc"], r["field"], r["value"], r["rank"]) for r in blocs} == {
            ("csto", "founded", "2002-10-07", "preferred"),
            ("csto", "founded", "2002-05-14", "alternative"),
        }
        events = rows(export(curator_client, "events", "eventclaim")[0])
        assert {(r["event date"], r["event title"], r["value"], r["rank"]) for r in events} == {
            ("2012-06-28", "Uzbekistan suspends its participation", "2012-06-28", "preferred"),
            ("2012-06-28", "Uzbekistan suspends its participation", "2012-06", "alternative"),
        }

    def test_xlsx_export_has_the_same_columns(self, curator_client, disputed):
        content, _ = export(curator_client, "blocs", "membershipclaim", EXPORT_XLSX)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert header == SPELL_HEADER.strip().split(",")
        assert sheet.max_row == 5


class TestRoundTrip:
    @pytest.mark.parametrize("fmt,upload_fmt,name", [("0", CSV, "csv"), (EXPORT_XLSX, XLSX, "xlsx")])
    def test_reimporting_an_export_changes_nothing(self, curator_client, disputed, fmt, upload_fmt, name):
        files = {model: export(curator_client, app, model, fmt)[0] for app, model in CLAIMS}
        before = snapshot()
        for app, model in CLAIMS:
            preview = upload(curator_client, app, model, files[model], f"{model}.{name}", upload_fmt)
            totals = preview.context["result"].totals
            assert totals["new"] == totals["update"] == 0 and totals["skip"] > 0, preview.context["result"].problems
            confirm(curator_client, app, model, preview)
        after = snapshot()
        assert after["records"] == before["records"]
        assert after["history"] == before["history"]

    def test_claims_deleted_come_back_from_their_export_with_their_sources_and_readings(self, curator_client, disputed):
        files = {model: export(curator_client, app, model)[0] for app, model in CLAIMS}
        before = snapshot()["records"]
        for model in (MembershipClaim, BlocClaim, EventClaim):
            model.objects.all().delete()
        for app, model in CLAIMS:
            preview, done = import_file(curator_client, app, model, files[model])
            assert preview.context["result"].totals["new"] > 0
            assert "Imported" in done.content.decode()
        assert snapshot()["records"] == before


class TestChangingThePreferredClaim:
    def test_a_new_preferred_claim_sets_the_records_date_and_demotes_the_old_one(
        self, curator_client, curator, disputed
    ):
        spell = disputed["spell"]
        content = SPELL_HEADER + "arm,csto,1994-04-20,start,1992-05,,preferred,ATOP's coding,atop-5-1,tass;treaty\n"
        preview, done = import_file(curator_client, "blocs", "membershipclaim", content.encode(), "fix.csv")
        assert preview.context["result"].totals["update"] == 1
        spell.refresh_from_db()
        assert spell.partial_date("start").iso == "1992-05"
        claims = {c.partial_value.iso: c.rank for c in spell.claims.filter(field="start")}
        assert claims == {"1992-05": "preferred", "1994-04-20": "alternative"}
        version = spell.history.latest()
        assert version.history_user == curator
        assert "claim made preferred" in version.history_change_reason
        # The file's own claim names the spell by its new start from now on.
        exported = rows(export(curator_client, "blocs", "membershipclaim")[0])
        assert {r["spell start"] for r in exported} == {"1992-05"}

    def test_the_first_claims_of_an_undisputed_date_are_added_with_the_record(self, curator_client, disputed):
        event = make_event(date=d("2001-06-15"), title="Shanghai summit")
        content = (
            "event date,event title,field,value,value precision,rank,reason,reading,sources\n"
            "2001-06-15,Shanghai summit,date,2001-06-15,day,preferred,declaration signed,,treaty\n"
            "2001-06-15,Shanghai summit,date,2001-06-14,day,alternative,,atop-5-1,tass\n"
        )
        preview, _ = import_file(curator_client, "events", "eventclaim", content.encode())
        assert preview.context["result"].totals["new"] == 2
        assert event.claims.count() == 2
        assert event.claims.get(rank="preferred").reason == "declaration signed"
        assert event.claims.get(rank="alternative").reading == disputed["reading"]

    def test_swapping_preferred_and_alternative_in_one_file_moves_the_bloc_founding(self, curator_client, disputed):
        bloc = disputed["bloc"]
        content = (
            "bloc,field,value,value precision,rank,reason,reading,sources\n"
            "csto,founded,2002-10-07,day,alternative,charter in force,,treaty\n"
            "csto,founded,2002-05-14,day,preferred,charter signed,,treaty\n"
        )
        import_file(curator_client, "blocs", "blocclaim", content.encode())
        bloc.refresh_from_db()
        assert bloc.founded == d("2002-05-14")
        assert bloc.claims.get(rank="preferred").reason == "charter signed"


class TestRefusedImports:
    @pytest.mark.parametrize(
        "line,expected",
        [
            (
                "ARM,csto,1995-01-01,start,1992,,alternative,,,treaty",
                "There is no spell of ARM in csto starting on 1995-01-01 in the database.",
            ),
            (",csto,1994-04-20,start,1992,,alternative,,,treaty", "the “country” cell of this row is empty"),
            ("ARM,csto,1994-04-20,beginning,1992,,alternative,,,treaty", "“beginning” is not a date: use one of start"),
            ("ARM,csto,1994-04-20,start,1992-13,,alternative,,,treaty", "Row 3, column “value”"),
            ("ARM,csto,1994-04-20,start,1992,,likely,,,treaty", "“likely” is not a rank: use one of preferred"),
            (
                "ARM,csto,1994-04-20,start,1992,,alternative,,cow-3,treaty",
                "There is no reading “cow-3” in the database.",
            ),
            ("ARM,csto,1994-04-20,start,1992,,alternative,,,", "Every claim cites at least one source"),
            ("ARM,csto,1994-04-20,start,1992,,alternative,,,nowhere", "There is no source “nowhere” in the database."),
            (
                "ARM,csto,1994-04-20,start,1994-04-20,day,deprecated,,,treaty",
                "This is the preferred claim of the start of",
            ),
            ("ARM,csto,1994-04-20,end,2025,,preferred,,,treaty", "Row 3"),
            (
                "ARM,csto,1994-04-20,start,2030,,preferred,,,treaty",
                "Making this claim preferred sets the start of",
            ),
            ("ARM,csto,1994-04-20,suspension_start,2020,,alternative,,,treaty", "has no claims yet"),
        ],
    )
    def test_a_bad_row_is_named_and_nothing_is_stored(self, curator_client, disputed, line, expected):
        content = (
            SPELL_HEADER + "ARM,csto,1994-04-20,end,2024-06-01,day,preferred,announced withdrawal,,tass\n" + line + "\n"
        )
        assert_refused(curator_client, "blocs", "membershipclaim", content.encode(), expected)

    def test_two_preferred_claims_for_one_date_are_refused(self, curator_client, disputed):
        content = (
            SPELL_HEADER
            + "ARM,csto,1994-04-20,start,1992-05,,preferred,,atop-5-1,tass;treaty\n"
            + "ARM,csto,1994-04-20,start,1994-04-20,,preferred,,,treaty\n"
        )
        assert_refused(
            curator_client, "blocs", "membershipclaim", content.encode(), "Rows 2 and 3 all make a claim of the start"
        )

    def test_the_same_claim_twice_in_a_file_is_refused(self, curator_client, disputed):
        line = "ARM,csto,1994-04-20,start,1992-05,,alternative,,atop-5-1,tass\n"
        assert_refused(
            curator_client,
            "blocs",
            "membershipclaim",
            (SPELL_HEADER + line + line).encode(),
            "Row 2 already has this claim",
        )

    def test_a_file_without_the_columns_naming_the_spell_is_refused(self, curator_client, disputed):
        content = "spell start,field,value,rank,sources\n1994-04-20,start,1992,alternative,treaty\n"
        assert_refused(
            curator_client, "blocs", "membershipclaim", content.encode(), "The file has no “country”, “bloc” column"
        )


def test_analysts_export_claims_but_cannot_import_them(analyst_client, disputed):
    content, _ = export(analyst_client, "blocs", "membershipclaim")
    assert len(rows(content)) == 4
    before = snapshot()
    line = "ARM,csto,1994-04-20,start,1992,,alternative,,,treaty\n"
    response = upload(analyst_client, "blocs", "membershipclaim", (SPELL_HEADER + line).encode())
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("app,model", CLAIMS)
def test_each_claim_list_offers_import_and_export_to_curators(curator_client, disputed, app, model):
    page = curator_client.get(f"/admin/{app}/{model}/").content.decode()
    assert f"/admin/{app}/{model}/import/" in page
    assert f"/admin/{app}/{model}/export/" in page


def test_a_preferred_claim_that_makes_the_spell_overlap_another_is_refused_by_name(curator_client, disputed):
    spell = disputed["spell"]
    make_membership(country=spell.country, bloc=spell.bloc, start=d("1980-01-01"), end=d("1990-01-01"))
    content = SPELL_HEADER + "ARM,csto,1994-04-20,start,1985,,preferred,older treaty,,treaty\n"
    response = assert_refused(curator_client, "blocs", "membershipclaim", content.encode(), "Row 2")
    assert response.context["result"].problems == [
        "Row 2: This country already has a spell in this bloc that overlaps these dates."
    ]
    spell.refresh_from_db()
    assert spell.start == d("1994-04-20")
