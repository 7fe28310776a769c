"""The public datasets at /data/: what each file holds, how years are coded, and how files are served."""

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from blocs.models import Bloc, Country, Membership
from blocs.spreadsheets.writers import TRIGGERS, neutralise, neutralised_sql, restore
from events.models import Event
from public.dataset_columns import STATUS_CODES
from public.datasets import DATASETS

from .conftest import d, make_bloc, make_country, make_event, make_membership, make_source

pytestmark = pytest.mark.django_db

CODEBOOK = Path(__file__).resolve().parent.parent / "docs" / "codebook.md"


def download(client, dataset, extension="csv", **query):
    response = client.get(reverse("data:download", args=[dataset, extension]), query)
    assert response.status_code == 200, response.content[:300]
    assert response.streaming
    return response, b"".join(response.streaming_content)


def rows(client, dataset, **query):
    _, content = download(client, dataset, **query)
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


@pytest.fixture
def world():
    csto = make_bloc(slug="csto", name="Collective Security Treaty Organization", founded=d("2002-10-07"))
    eaeu = make_bloc(slug="eaeu", name="Eurasian Economic Union", founded=d("2015-01-01"), kind="economic_union")
    gone = make_bloc(slug="gone", name="A dissolved bloc", founded=d("1995-01-01"), dissolved=d("2001-06-01"))
    gone.dissolved_precision = "month"
    gone.save()
    uzb = make_country(alpha3="UZB", alpha2="UZ", name="Uzbekistan", cow_code=704)
    kaz = make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan", cow_code=705)
    arm = make_country(alpha3="ARM", alpha2="AM", name="Armenia", cow_code=371)
    mda = make_country(alpha3="MDA", alpha2="MD", name="Moldova", cow_code=359)
    source = make_source(key="tass-1", title="TASS")
    make_membership(
        country=uzb,
        bloc=csto,
        start="2006-08-16",
        suspension_start="2012-06-28",
        end="2012-12-19",
        end_reason="withdrawal",
    ).sources.set([source])
    make_membership(country=kaz, bloc=csto, start="2002-10-07")
    make_membership(
        country=arm, bloc=csto, start="2002-10-07", suspension_start="2024-02-01", suspension_kind="self_declared"
    )
    make_membership(country=kaz, bloc=eaeu, start="2015-01-01")
    # Observer, then member in the same year; then a spell whose end is known only to the year.
    make_membership(country=mda, bloc=eaeu, role="observer", start="2018-05-14", end="2019-03-01")
    make_membership(country=mda, bloc=eaeu, start="2019-03-01", end="2021-01-01", end_precision="year")
    make_membership(country=uzb, bloc=eaeu, role="observer", start="2020-12-11")
    make_membership(country=arm, bloc=eaeu, role="candidate", start="2015-01-01", end="2015-01-02")
    make_event(date=d("2012-06-28"), title="=cmd|' /C calc'!A0", blocs=[csto], countries=[uzb], sources=[source])
    make_event(date=d("2024-02-01"), date_precision="month", title="Armenia freezes its participation", blocs=[csto])
    return locals()


def status(table, country, bloc, year):
    found = [r for r in table if (r["country_alpha3"], r["bloc_slug"], r["year"]) == (country, bloc, str(year))]
    assert len(found) == 1
    return int(found[0]["status"]), int(found[0]["suspended"])


class TestPages:
    def test_data_page_lists_every_dataset_in_both_formats(self, client, world, django_assert_num_queries):
        # 1: the records' state (page cache); 2: when the data last changed and its first year (one query over the tables and their history);
        # 3: the readings.
        with django_assert_num_queries(3):
            response = client.get(reverse("data:index"))
        page = response.content.decode()
        for slug in DATASETS:
            assert reverse("data:download", args=[slug, "csv"]) in page
            assert reverse("data:download", args=[slug, "xlsx"]) in page
        assert reverse("data:codebook") in page
        assert "style=" not in page and page.count("<script") == page.count('<script type="application/ld+json">') == 1

    def test_codebook_explains_every_column_and_code(self, client, django_assert_num_queries):
        # No queries: the codebook is built from the datasets' column lists.
        with django_assert_num_queries(0):
            response = client.get(reverse("data:codebook"))
        page = response.content.decode()
        for spec in DATASETS.values():
            for column in spec.columns:
                assert f"<code>{column.name}</code>" in page
        for code, label, _ in STATUS_CODES:
            assert f"<td>{code}</td><td>{label}</td>" in page
        assert "strongest role it held on at least one day of that year" in page

    def test_docs_codebook_describes_every_column(self):
        text = CODEBOOK.read_text()
        for spec in DATASETS.values():
            for column in spec.columns:
                assert f"`{column.name}`" in text, column.name
        assert "status held on at least one day" in text


class TestFiles:
    def test_csv_download_says_what_it_is(self, client, world, django_assert_num_queries):
        # 1: data facts; 2: the blocs that make the file's parts; 3, 4: COPY (...) TO STDOUT for the
        # first part and for the rest, logged when each runs as the content streams.
        with django_assert_num_queries(4):
            response, content = download(client, "memberships", **{"from": "2010", "to": "2013"})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        today = datetime.date.today().isoformat()
        assert (
            response["Content-Disposition"] == f'attachment; filename="eurasia-memberships-2010-2013-data-{today}.csv"'
        )
        assert "Last-Modified" in response
        assert content.startswith(b"country_alpha3,country_alpha2,country_cow_code,country_name,bloc_slug")

    def test_xlsx_download_has_typed_dates_and_numbers(self, client, world, django_assert_num_queries):
        # 1: data facts; 2: the blocs that make the file's parts; 3, 4: the query of each part on a
        # server-side cursor.
        with django_assert_num_queries(4):
            response, content = download(client, "memberships", "xlsx")
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response["Content-Disposition"].endswith('.xlsx"')
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        table = list(sheet.iter_rows(values_only=True))
        header = table[0]
        uzb = next(r for r in table[1:] if r[0] == "UZB" and r[4] == "csto")
        start = uzb[header.index("start")]
        assert isinstance(start, datetime.datetime) and start.date() == d("2006-08-16")
        assert uzb[header.index("country_cow_code")] == 704
        assert uzb[header.index("source_keys")] == "tass-1"

    def test_xlsx_country_year_keeps_minus_one_a_number(self, client, world):
        _, content = download(client, "country-year", "xlsx", **{"from": "2001", "to": "2003"})
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        table = list(sheet.iter_rows(values_only=True))
        header = table[0]
        kaz_2001 = next(r for r in table if r[0] == "KAZ" and r[3] == "csto" and r[5] == 2001)
        assert kaz_2001[header.index("status")] == -1

    def test_formula_looking_text_is_inert_in_csv_and_xlsx(self, client, world):
        assert rows(client, "events")[0]["title"] == "'=cmd|' /C calc'!A0"
        _, content = download(client, "events", "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        cells = [c for row in sheet.iter_rows() for c in row]
        assert any(c.value == "'=cmd|' /C calc'!A0" for c in cells)
        assert all(c.data_type != "f" for c in cells)
        date = next(r for r in sheet.iter_rows(values_only=True) if r[4] and "calc" in r[4])[0]
        assert isinstance(date, datetime.datetime)

    def test_sql_and_python_neutralisers_agree(self):
        samples = [*(c + "x" for c in TRIGGERS), "'=x", "'x", "it's", "", "plain", "=", "-1", "’=x"]
        with connection.cursor() as cursor:
            for text in samples:
                cursor.execute(f"SELECT {neutralised_sql('%s::text')}", [text] * 3)
                assert cursor.fetchone()[0] == neutralise(text)
                assert restore(neutralise(text)) == text

    @pytest.mark.parametrize(
        "query,message",
        [
            ({"from": "1990x"}, '"1990x" is not a year'),
            ({"from": "2010", "to": "2000"}, "?from=2010 comes after ?to=2000"),
            ({"from": "1", "to": "9999"}, "Ask for at most 500 years at a time."),
        ],
    )
    def test_bad_years_are_explained(self, client, query, message):
        response = client.get(reverse("data:download", args=["country-year", "csv"]), query)
        assert response.status_code == 400
        assert message in response.content.decode().replace("&quot;", '"')

    @pytest.mark.parametrize("day", ["2012-13-01", "yesterday", "2012-6-1"])
    def test_bad_date_is_explained(self, client, day):
        response = client.get(reverse("data:download", args=["members", "csv"]), {"date": day})
        assert response.status_code == 400
        assert "give ?date= as YYYY-MM-DD" in response.content.decode()

    @pytest.mark.parametrize("path", ["/data/nothing.csv", "/data/memberships.pdf", "/data/memberships.CSV"])
    def test_unknown_dataset_or_format_is_not_found(self, client, path):
        assert client.get(path).status_code == 404


class TestContents:
    def test_memberships_one_row_per_spell_with_precisions_and_sources(self, client, world):
        table = rows(client, "memberships")
        assert len(table) == Membership.objects.count()
        uzb = next(r for r in table if (r["country_alpha3"], r["bloc_slug"]) == ("UZB", "csto"))
        assert uzb["country_cow_code"] == "704" and uzb["country_alpha2"] == "UZ"
        assert (uzb["start"], uzb["start_precision"]) == ("2006-08-16", "day")
        assert (uzb["end"], uzb["end_reason"], uzb["source_keys"]) == ("2012-12-19", "withdrawal", "tass-1")
        assert uzb["suspension_end"] == "" and uzb["suspension_end_precision"] == ""
        mda = [r for r in table if r["country_alpha3"] == "MDA"]
        assert [(r["role"], r["end"], r["end_precision"]) for r in mda] == [
            ("observer", "2019-03-01", "day"),
            ("member", "2021-01-01", "year"),
        ]

    def test_memberships_year_filter_keeps_spells_that_touch_the_years(self, client, world):
        table = rows(client, "memberships", **{"from": "2013", "to": "2014"})
        assert {(r["country_alpha3"], r["bloc_slug"]) for r in table} == {
            ("KAZ", "csto"),
            ("ARM", "csto"),
        }

    def test_members_on_a_date_match_the_model(self, client, world):
        day = d("2012-07-01")
        table = rows(client, "members", date=day.isoformat())
        expected = {(m.country.alpha3, m.bloc.slug, bool(m.is_suspended)) for m in Membership.objects.active_on(day)}
        assert {(r["country_alpha3"], r["bloc_slug"], r["suspended"] == "1") for r in table} == expected
        assert ("UZB", "csto", True) in expected
        assert {r["as_of"] for r in table} == {"2012-07-01"}

    def test_members_file_name_carries_the_date_asked_for(self, client, world):
        response, _ = download(client, "members", date="2012-07-01")
        assert "eurasia-members-on-2012-07-01-data-" in response["Content-Disposition"]

    def test_country_year_codes(self, client, world):
        table = rows(client, "country-year", **{"from": "2000", "to": "2025"})
        assert status(table, "KAZ", "csto", 2001) == (-1, 0)  # before the bloc was founded
        assert status(table, "KAZ", "csto", 2002) == (1, 0)  # joined in the founding year
        assert status(table, "UZB", "csto", 2005) == (0, 0)
        assert status(table, "UZB", "csto", 2012) == (1, 1)  # suspended, then withdrew that year
        assert status(table, "UZB", "csto", 2013) == (0, 0)
        assert status(table, "ARM", "csto", 2024) == (1, 1)
        assert status(table, "MDA", "eaeu", 2018) == (3, 0)  # observer
        assert status(table, "MDA", "eaeu", 2019) == (1, 0)  # observer, then member: the higher status
        assert status(table, "MDA", "eaeu", 2021) == (1, 0)  # an end known only to the year falls inside it
        assert status(table, "MDA", "eaeu", 2022) == (0, 0)
        assert status(table, "ARM", "eaeu", 2014) == (-1, 0)  # before the bloc was founded
        assert status(table, "ARM", "eaeu", 2015) == (0, 0)  # a candidate is no member
        assert status(table, "UZB", "eaeu", 2021) == (3, 0)
        assert status(table, "UZB", "gone", 2001) == (0, 0)  # dissolved within 2001 (month precision)
        assert status(table, "UZB", "gone", 2002) == (-1, 0)

    def test_an_end_on_the_first_of_january_leaves_that_year_out(self, client):
        bloc, country = make_bloc(slug="b", founded=d("2000-01-01")), make_country(alpha3="QAT", alpha2="QA", name="Q")
        make_membership(country=country, bloc=bloc, start="2000-01-01", end="2005-01-01")
        table = rows(client, "country-year", **{"from": "2004", "to": "2005"})
        assert status(table, "QAT", "b", 2004) == (1, 0)
        assert status(table, "QAT", "b", 2005) == (0, 0)

    def test_country_year_has_one_row_per_country_bloc_and_year(self, client, world):
        table = rows(client, "country-year", **{"from": "2010", "to": "2012"})
        assert len(table) == 4 * 3 * 3
        assert len({(r["country_alpha3"], r["bloc_slug"], r["year"]) for r in table}) == len(table)

    def test_dyad_year_pairs_full_members(self, client, world):
        table = rows(client, "dyad-year", **{"from": "2012", "to": "2013"})
        pairs = {(r["bloc_slug"], r["year"], r["country1_alpha3"], r["country2_alpha3"]) for r in table}
        assert pairs == {
            ("csto", "2012", "ARM", "KAZ"),
            ("csto", "2012", "ARM", "UZB"),
            ("csto", "2012", "KAZ", "UZB"),
            ("csto", "2013", "ARM", "KAZ"),
        }
        uzb = next(r for r in table if r["country2_alpha3"] == "UZB" and r["country1_alpha3"] == "KAZ")
        assert (uzb["country1_suspended"], uzb["country2_suspended"], uzb["country2_cow_code"]) == ("0", "1", "704")

    def test_events_with_their_links(self, client, world):
        table = rows(client, "events", **{"from": "2024", "to": "2024"})
        assert [(r["date"], r["date_precision"], r["bloc_slugs"]) for r in table] == [("2024-02-01", "month", "csto")]

    def test_russian_names_come_last_and_are_empty_where_none_is_recorded(self, client, world):
        Country.objects.filter(alpha3="KAZ").update(name_ru="Казахстан")
        Bloc.objects.filter(slug="csto").update(name_ru="Организация Договора о коллективной безопасности")
        Event.objects.update(title_ru="Армения замораживает участие в ОДКБ")
        for dataset, query, ru in [
            ("memberships", {}, ["country_name_ru", "bloc_name_ru"]),
            ("members", {"date": "2013-01-01"}, ["country_name_ru", "bloc_name_ru"]),
            ("country-year", {"from": "2013", "to": "2013"}, ["country_name_ru", "bloc_name_ru"]),
            ("dyad-year", {"from": "2013", "to": "2013"}, ["bloc_name_ru"]),
            ("events", {"from": "2024", "to": "2024"}, ["title_ru", "description_ru"]),
        ]:
            _, content = download(client, dataset, **query)
            header = content.decode().splitlines()[0].split(",")
            assert header[-len(ru) :] == ru, dataset
        table = rows(client, "members", date="2013-01-01")
        names = {(r["country_alpha3"], r["bloc_slug"]): (r["country_name_ru"], r["bloc_name_ru"]) for r in table}
        assert names[("KAZ", "csto")] == ("Казахстан", "Организация Договора о коллективной безопасности")
        assert names[("ARM", "csto")] == ("", "Организация Договора о коллективной безопасности")
        events = rows(client, "events", **{"from": "2024", "to": "2024"})
        assert [(e["title_ru"], e["description_ru"]) for e in events] == [("Армения замораживает участие в ОДКБ", "")]
        _, xlsx = download(client, "country-year", "xlsx", **{"from": "2013", "to": "2013"})
        sheet = list(openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
        header = list(sheet[0])
        kaz = next(r for r in sheet if r[0] == "KAZ" and r[header.index("bloc_slug")] == "csto")
        assert kaz[header.index("country_name_ru")] == "Казахстан"

    def test_the_russian_codebook_describes_the_russian_columns(self, client):
        page = client.get("/ru/data/codebook/").content.decode()
        assert '<html lang="ru">' in page and "Кодовая книга" in page
        assert "<code>country_name_ru</code>" in page and "Краткое русское название страны" in page
        assert "Полноправный член".lower() in page.lower() and "Единица наблюдения" in page


class TestSeed:
    def test_uzbekistan_in_the_csto_year_by_year(self, client, seed):
        table = rows(client, "country-year", **{"from": "2005", "to": "2013"})
        uzb = {int(r["year"]): (int(r["status"]), int(r["suspended"])) for r in table if r["country_alpha3"] == "UZB"}
        csto = {
            int(r["year"]): (int(r["status"]), int(r["suspended"]))
            for r in table
            if (r["country_alpha3"], r["bloc_slug"]) == ("UZB", "csto")
        }
        assert uzb and csto[2005] == (0, 0)
        assert csto[2006] == (1, 0)  # restored on 2006-08-16
        assert csto[2011] == (1, 0)
        assert csto[2012] == (1, 1)  # formally suspended on 2012-12-19
        assert csto[2013] == (1, 1)  # no end is recorded, the suspension goes on

    def test_uzbekistan_in_the_cst_until_1999(self, client, seed):
        table = rows(client, "country-year", **{"from": "1998", "to": "2000"})
        cst = {
            int(r["year"]): int(r["status"]) for r in table if (r["country_alpha3"], r["bloc_slug"]) == ("UZB", "cst")
        }
        assert cst == {1998: 1, 1999: 1, 2000: 0}

    def test_members_of_the_csto_on_a_date(self, client, seed):
        table = rows(client, "members", date="2013-01-01")
        csto = {r["country_alpha3"]: r["suspended"] for r in table if r["bloc_slug"] == "csto"}
        assert csto["UZB"] == "1" and csto["RUS"] == "0"
