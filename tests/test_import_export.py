"""Admin import and export: round trip, all-or-nothing imports with clear errors, roles, safe spreadsheets."""

import csv
import io

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from blocs.models import Bloc, Country, ImportFile, Membership, Source, Succession
from blocs.resources import MembershipResource
from blocs.spreadsheets.formats import RowProblems
from events.models import Event
from exchange.dumping import dump

from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source, make_staff
from .spreadsheet_forms import (
    CSV,
    EXPORT_CSV,
    EXPORT_XLSX,
    XLSX,
    assert_refused,
    confirm,
    export,
    fields,
    import_file,
    snapshot,
    upload,
    url,
)

pytestmark = pytest.mark.django_db

ORDER = [("blocs", "source"), ("blocs", "country"), ("blocs", "bloc"), ("blocs", "membership"), ("events", "event")]


def rich_data():
    """A small dataset that exercises every column: partial dates, links, Cyrillic and formula-looking text."""
    tass = make_source(key="tass-687141", title='=HYPERLINK("http://x")', publisher="TASS", published=d("2012-06-01"))
    tass.published_precision = "month"
    tass.save()
    treaty = make_source(key="cst-treaty", title="+Treaty text", kind="CSTO official", url="https://example.org/t")
    arm = make_country(alpha3="ARM", alpha2="AM", name="Armenia", cow_code=371, notes="-frozen in 2024\nsecond line")
    uzb = make_country(alpha3="UZB", alpha2="UZ", name="Uzbekistan", cow_code=704, other_names="@uz; Uzbekistan")
    kaz = make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan", cow_code=705, notes="\ttabbed")
    cst = make_bloc(slug="cst", name="Collective Security Treaty", founded=d("1994-01-01"), founded_precision="year")
    csto = make_bloc(
        slug="csto",
        name="Collective Security Treaty Organization",
        abbreviations=["CSTO", "ОДКБ"],
        founded=d("2002-10-07"),
        description="'quoted",
    )
    csto.sources.set([treaty])
    Succession.objects.create(predecessor=cst, successor=csto)
    # Sorted by slug, the child comes before its parent: the import must still find the parent.
    make_bloc(slug="crrf", name="Collective Rapid Reaction Force", parent=csto, kind="other")
    spell = make_membership(
        country=arm,
        bloc=csto,
        start="2002-10-07",
        suspension_start="2024-02-01",
        suspension_start_precision="month",
        suspension_kind="self_declared",
    )
    spell.sources.set([tass, treaty])
    make_membership(
        country=uzb, bloc=cst, start="1994-01-01", start_precision="year", end="1999-01-01", end_reason="non_renewal"
    )
    make_membership(country=uzb, bloc=csto, start="2006-08-16", end="2012-12-19", end_reason="withdrawal")
    make_membership(country=kaz, bloc=csto, start="2002-10-07", role="member")
    event = make_event(
        date=d("2012-06-01"),
        date_precision="month",
        title="Uzbekistan suspends its participation",
        kind="suspension",
        blocs=[csto],
        countries=[uzb],
        sources=[tass],
    )
    event.memberships.set(Membership.objects.filter(country=uzb, bloc=csto))
    make_event(
        date=d("2009-10-02"), end_date=d("2009-10-05"), title="=1+1 exercise", kind="exercise", location="Rubezh"
    )


def empty_database():
    Event.objects.all().delete()
    Membership.objects.all().delete()
    Bloc.objects.update(parent=None)
    Succession.objects.all().delete()
    Bloc.objects.all().delete()
    Country.objects.all().delete()
    Source.objects.all().delete()


class TestRoundTrip:
    @pytest.mark.parametrize("fmt,name", [(EXPORT_CSV, "csv"), (EXPORT_XLSX, "xlsx")])
    def test_export_everything_then_import_into_an_empty_database_gives_the_same_data(self, curator_client, fmt, name):
        rich_data()
        before = dump()
        files = {model: export(curator_client, app, model, fmt)[0] for app, model in ORDER}
        empty_database()
        assert dump()["countries"] == []
        for app, model in ORDER:
            file_format = CSV if name == "csv" else XLSX
            preview, done = import_file(curator_client, app, model, files[model], f"{model}.{name}", file_format)
            assert preview.context["result"].totals["new"] > 0
            assert "Imported" in done.content.decode()
        assert dump() == before

    def test_the_seed_data_survives_the_round_trip(self, curator_client, seed):
        before = dump()
        # Claims come after the records they are about; readings stay (they have no spreadsheet).
        order = [*ORDER, ("blocs", "blocclaim"), ("blocs", "membershipclaim"), ("events", "eventclaim")]
        files = {model: export(curator_client, app, model, EXPORT_XLSX)[0] for app, model in order}
        empty_database()
        for app, model in order:
            import_file(curator_client, app, model, files[model], f"{model}.xlsx", XLSX)
        assert before["memberships"] and any(row.get("claims") for row in before["memberships"])
        assert dump() == before

    def test_imports_record_history_with_the_curator_and_the_file(self, curator_client, curator):
        rich_data()
        files = {model: export(curator_client, app, model)[0] for app, model in ORDER}
        empty_database()
        for app, model in ORDER:
            import_file(curator_client, app, model, files[model], f"{model}.csv")
        spell = Membership.objects.get(country__alpha3="ARM")
        record = spell.history.latest()
        assert record.history_type == "+"
        assert record.history_user == curator
        assert record.history_change_reason == "imported from membership.csv"
        assert sorted(link.source.key for link in record.sources.all()) == ["cst-treaty", "tass-687141"]
        assert Bloc.objects.get(slug="crrf").history.latest().history_user == curator

    def test_importing_the_same_file_twice_changes_nothing_the_second_time(self, curator_client):
        rich_data()
        files = {model: export(curator_client, app, model)[0] for app, model in ORDER}
        before = snapshot()
        for app, model in ORDER:
            preview = upload(curator_client, app, model, files[model])
            totals = preview.context["result"].totals
            assert totals["new"] == totals["update"] == 0 and totals["skip"] > 0
            assert "unchanged" in preview.content.decode()
            confirm(curator_client, app, model, preview)
        after = snapshot()
        assert after["records"] == before["records"]
        assert after["history"] == before["history"]

    def test_a_changed_row_is_previewed_as_changed_and_stored_with_history(self, curator_client):
        rich_data()
        content, _ = export(curator_client, "blocs", "country")
        content = content.replace(b"Kazakhstan", b"Kazakhstan (Qazaqstan)")
        preview = upload(curator_client, "blocs", "country", content)
        assert preview.context["result"].totals["update"] == 1
        assert "1 changed" in preview.content.decode()
        assert Country.objects.get(alpha3="KAZ").name == "Kazakhstan"  # the preview stores nothing
        confirm(curator_client, "blocs", "country", preview)
        kaz = Country.objects.get(alpha3="KAZ")
        assert kaz.name == "Kazakhstan (Qazaqstan)"
        assert kaz.history.latest().history_type == "~"

    def test_the_preview_strikes_out_stored_values_of_a_changed_row_its_sources_too(self, curator_client):
        rich_data()
        content, _ = export(curator_client, "blocs", "membership")
        text = content.decode()
        armenia = next(line for line in text.splitlines() if line.startswith("ARM,"))
        assert "cst-treaty; tass-687141" in armenia
        changed = armenia.replace("cst-treaty; tass-687141", "cst-treaty")
        preview = upload(curator_client, "blocs", "membership", text.replace(armenia, changed).encode())
        assert preview.context["result"].totals["update"] == 1
        html = preview.content.decode()
        assert "<del>cst-treaty; tass-687141</del> <ins>cst-treaty</ins>" in html

    def test_the_admin_log_names_each_record_the_import_stored(self, curator_client, curator):
        rich_data()
        content = b"alpha-3,alpha-2,name\nKAZ,KZ,Kazakhstan (Qazaqstan)\nKGZ,KG,Kyrgyzstan\n"
        import_file(curator_client, "blocs", "country", content)
        import_file(curator_client, "blocs", "membership", (SPELLS + "KAZ,cst,observer,2001-05,\n").encode())
        kaz, kgz = Country.objects.get(alpha3="KAZ"), Country.objects.get(alpha3="KGZ")
        spell = Membership.objects.get(country=kaz, bloc__slug="cst")
        logged = {(e.object_id, e.object_repr, e.action_flag) for e in LogEntry.objects.filter(user=curator)}
        assert logged == {
            (str(kaz.pk), str(kaz), CHANGE),
            (str(kgz.pk), "Kyrgyzstan (KGZ)", ADDITION),
            (str(spell.pk), str(spell), ADDITION),
        }
        assert str(spell) == "Kazakhstan (Qazaqstan) in Collective Security Treaty (observer), May 2001 – present"

    def test_the_confirmation_needs_nothing_from_the_server_that_showed_the_preview(self, curator_client, tmp_path):
        content = b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\n"
        preview = upload(curator_client, "blocs", "country", content)
        kept = ImportFile.objects.get()
        assert bytes(kept.data) == content
        confirm(curator_client, "blocs", "country", preview)
        assert Country.objects.filter(alpha3="KGZ").exists()
        assert not ImportFile.objects.exists()


SPELLS = "country,bloc,role,start,end\n"


class TestBadInput:
    def test_unknown_country_code(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "QQQ,csto,member,2001-01-01,\n").encode(),
            "Row 2, column “country”: There is no country “QQQ” in the database.",
        )

    def test_malformed_date(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "KAZ,cst,member,2001-13,\n").encode(),
            'Row 2, column “start”: "2001-13": there is no month 13.',
        )

    def test_end_before_start(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "KAZ,cst,member,2001-05-01,2000\n").encode(),
            "Row 2, column “end”: The spell cannot end (2000) before it starts (1 May 2001).",
        )

    def test_overlapping_spell_with_one_already_recorded(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "KAZ,cst,member,1999,\nUZB,csto,member,2010-01-01,2011-01-01\n").encode(),
            "Row 3, column “start”: This spell overlaps the spell of UZB in csto from 2006-08-16 to 2012-12-19 "
            "already recorded.",
        )

    def test_overlapping_spells_within_the_file(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "KAZ,cst,member,1994,1996\nKAZ,cst,observer,1995-06,\n").encode(),
            "Row 3, column “start”: This spell overlaps the spell in row 2 of this file.",
        )

    def test_overlap_the_checks_missed_is_refused_by_the_database_and_named_by_row(self, curator_client, monkeypatch):
        rich_data()
        monkeypatch.setattr(MembershipResource, "batch_problems", lambda self, instances: RowProblems())
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS + "KAZ,cst,member,1994,\nUZB,csto,member,2010-01-01,2011-01-01\n").encode(),
            "Row 3: This country already has a spell in this bloc that overlaps these dates.",
        )

    def test_duplicate_key(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\nkgz,KY,Kirghizia\n",
            "Row 3, column “alpha-3”: Row 2 already has this country: each may appear once.",
        )

    def test_a_value_another_record_already_has(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,alpha-2,name,COW code\nKGZ,KG,Kyrgyzstan,705\n",
            "Row 2, column “COW code”: Kazakhstan (KAZ) already has this COW code.",
        )

    def test_missing_required_column(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,name\nKGZ,Kyrgyzstan\n",
            "The file has no “alpha-2” column; every country needs “alpha-3”, “alpha-2”, “name”.",
        )

    def test_unknown_column(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,alpha-2,name,capital\nKGZ,KG,Kyrgyzstan,Bishkek\n",
            "The column “capital” is not one of the country columns",
        )

    def test_wrong_file_type_xlsx_sent_as_csv(self, curator_client):
        book = openpyxl.Workbook()
        book.active.append(["alpha-3", "alpha-2", "name"])
        buffer = io.BytesIO()
        book.save(buffer)
        assert_refused(
            curator_client,
            "blocs",
            "country",
            buffer.getvalue(),
            "This file is an XLSX workbook, not CSV: choose xlsx as the format.",
        )

    def test_wrong_file_type_csv_sent_as_xlsx(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\n",
            "This file is not an XLSX workbook.",
            name="countries.xlsx",
            fmt=XLSX,
        )

    def test_empty_file(self, curator_client):
        assert_refused(curator_client, "blocs", "country", b"", "The submitted file is empty.")

    def test_file_with_only_a_header_row(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            b"alpha-3,alpha-2,name\n",
            "The file has a header row but no rows to import.",
        )

    def test_huge_cell(self, curator_client):
        rich_data()
        notes = "x" * 40_000
        assert_refused(
            curator_client,
            "blocs",
            "country",
            f"alpha-3,alpha-2,name,notes\nKGZ,KG,Kyrgyzstan,{notes}\n".encode(),
            "Row 2, column “notes”: the text is 40,000 characters long; a cell can hold at most 32,767.",
        )

    def test_cell_beyond_what_csv_reading_allows(self, curator_client):
        notes = "x" * 200_000
        assert_refused(
            curator_client,
            "blocs",
            "country",
            f"alpha-3,alpha-2,name,notes\nKGZ,KG,Kyrgyzstan,{notes}\n".encode(),
            "a cell is far longer than a spreadsheet cell can be (32,767 characters).",
        )

    def test_csv_that_is_not_utf8(self, curator_client):
        assert_refused(
            curator_client,
            "blocs",
            "country",
            "alpha-3,alpha-2,name\nTUR,TR,Türkiye\n".encode("cp1252"),
            "The file is not UTF-8 text (an unreadable byte on line 2).",
        )

    def test_a_bad_row_among_good_ones_stores_nothing_at_all(self, curator_client):
        good = "".join(f"X{a}{b},{a}{b},Country {a}{b}\n" for a in "AB" for b in "ABCDEFGHIJ")
        assert_refused(
            curator_client,
            "blocs",
            "country",
            ("alpha-3,alpha-2,name\n" + good + "BAD1,B1,Broken\n").encode(),
            "Row 22, column “alpha-3”",
        )

    def test_unknown_source_in_a_list(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            (SPELLS.strip() + ",sources\nKAZ,cst,member,1994,1996,tass-687141; nowhere-1\n").encode(),
            "Row 2, column “sources”: There is no source “nowhere-1” in the database.",
        )

    def test_precision_column_that_contradicts_the_date(self, curator_client):
        rich_data()
        assert_refused(
            curator_client,
            "blocs",
            "membership",
            b"country,bloc,start,start precision\nKAZ,cst,1994-03,year\n",
            "“1994-03” gives the month, but the “start precision” column says “year”",
        )

    def test_a_change_between_preview_and_confirmation_stores_nothing(self, curator_client):
        rich_data()
        preview = upload(curator_client, "blocs", "membership", (SPELLS + "KAZ,cst,member,1995,1998\n").encode())
        assert preview.context["confirm_form"]
        # Meanwhile another curator records an overlapping spell.
        make_membership(
            country=Country.objects.get(alpha3="KAZ"), bloc=Bloc.objects.get(slug="cst"), start="1996-01-01"
        )
        before = snapshot()
        done = confirm(curator_client, "blocs", "membership", preview)
        assert "Nothing was imported" in done.content.decode()
        assert "overlaps the spell of KAZ in cst from 1996-01-01" in done.content.decode()
        after = snapshot()
        assert after["records"] == before["records"] and after["history"] == before["history"]


class TestExport:
    def test_export_holds_exactly_the_filtered_list(self, curator_client):
        rich_data()
        csto = Bloc.objects.get(slug="csto")
        content, _ = export(curator_client, "blocs", "membership", query=f"?bloc__id__exact={csto.pk}&q=uzb")
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        assert [(r["country"], r["bloc"], r["start"]) for r in rows] == [("UZB", "csto", "2006-08-16")]

    def test_csv_parses_with_the_standard_library_and_names_records_by_key(self, curator_client):
        rich_data()
        content, response = export(curator_client, "blocs", "membership")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="eurasia-memberships-')
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        arm = next(r for r in rows if r["country"] == "ARM")
        assert arm["suspension start"] == "2024-02" and arm["suspension start precision"] == "month"
        assert arm["sources"] == "cst-treaty; tass-687141"
        uzb = next(r for r in rows if r["bloc"] == "cst")
        assert (uzb["start"], uzb["start precision"], uzb["end"]) == ("1994", "year", "1999-01-01")

    def test_xlsx_opens_with_openpyxl_with_numbers_typed_and_formulas_inert(self, curator_client):
        rich_data()
        content, response = export(curator_client, "blocs", "country", EXPORT_XLSX)
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("alpha-3", "alpha-2", "name", "COW code", "other names", "notes")
        by_code = {row[0]: row for row in rows[1:]}
        assert by_code["ARM"][3] == 371 and isinstance(by_code["ARM"][3], int)
        assert by_code["ARM"][5] == "'-frozen in 2024\nsecond line"
        assert by_code["UZB"][4] == "'@uz; Uzbekistan"
        assert by_code["KAZ"][5] == "'\ttabbed"
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    @pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"])
    def test_every_formula_trigger_comes_out_inert_in_csv(self, curator_client, text):
        make_source(key="s-1", title=text)
        content, _ = export(curator_client, "blocs", "source")
        row = next(csv.DictReader(io.StringIO(content.decode(), newline="")))
        assert row["title"] == "'" + text

    def test_json_export_keeps_the_exact_text(self, curator_client):
        make_source(key="s-1", title="=SUM(A1)")
        response = curator_client.post(
            url("blocs", "source", "export"), {"format": "2", "resource": "0", **fields("blocs", "source")}
        )
        assert response["Content-Type"] == "application/json"
        assert '"title": "=SUM(A1)"' in b"".join(response.streaming_content).decode()


class TestRoles:
    def test_analyst_can_export(self, analyst_client):
        rich_data()
        content, _ = export(analyst_client, "blocs", "country")
        assert b"Uzbekistan" in content
        assert analyst_client.get(url("blocs", "country", "export")).status_code == 200

    def test_analyst_cannot_import(self, analyst_client):
        before = snapshot()
        assert analyst_client.get(url("blocs", "country", "import")).status_code == 403
        response = upload(analyst_client, "blocs", "country", b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\n")
        assert response.status_code == 403
        assert analyst_client.post(url("blocs", "country", "process_import"), {}).status_code == 403
        assert snapshot() == before

    def test_analyst_cannot_change(self, analyst_client):
        rich_data()
        kaz = Country.objects.get(alpha3="KAZ")
        response = analyst_client.post(reverse("admin:blocs_country_change", args=[kaz.pk]), {"name": "Changed"})
        assert response.status_code == 403
        assert Country.objects.get(alpha3="KAZ").name == "Kazakhstan"

    def test_analyst_list_offers_export_not_import(self, analyst_client):
        page = analyst_client.get(url("blocs", "membership", "changelist")).content.decode()
        assert url("blocs", "membership", "export") in page
        assert url("blocs", "membership", "import") not in page

    def test_curator_can_import_export_and_change(self, curator_client):
        page = curator_client.get(url("events", "event", "changelist")).content.decode()
        assert url("events", "event", "import") in page and url("events", "event", "export") in page
        import_file(curator_client, "blocs", "country", b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\n")
        kgz = Country.objects.get(alpha3="KGZ")
        content, _ = export(curator_client, "blocs", "country")
        assert b"KGZ" in content
        curator_client.post(
            reverse("admin:blocs_country_change", args=[kgz.pk]),
            {
                "name": "Kyrgyz Republic",
                "alpha2": "KG",
                "alpha3": "KGZ",
                "memberships-TOTAL_FORMS": "0",
                "memberships-INITIAL_FORMS": "0",
                "claims-TOTAL_FORMS": "0",
                "claims-INITIAL_FORMS": "0",
            },
        )
        assert Country.objects.get(alpha3="KGZ").name == "Kyrgyz Republic"

    @pytest.mark.parametrize("app,model", ORDER)
    def test_each_role_has_exactly_its_powers_on_every_model(self, client, app, model):
        analyst, curator = make_staff("Analysts", "a1"), make_staff("Curators", "c1")
        client.force_login(analyst)
        assert client.get(url(app, model, "export")).status_code == 200
        assert client.get(url(app, model, "import")).status_code == 403
        client.force_login(curator)
        assert client.get(url(app, model, "export")).status_code == 200
        assert client.get(url(app, model, "import")).status_code == 200

    def test_staff_without_a_role_can_do_neither(self, client):
        client.force_login(make_staff("Analysts", "nobody").__class__.objects.create_user("x", is_staff=True))
        assert client.get(url("blocs", "country", "export")).status_code == 403
        assert client.get(url("blocs", "country", "import")).status_code == 403
