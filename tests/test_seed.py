"""The seed dataset: it loads, loads again without duplicates, and says what the sources say."""

import json

import pytest
from django.core.management import call_command

from blocs.models import Bloc, Country, Membership, Source
from events.models import Event
from exchange.dumping import dump

from .conftest import FIXTURES, d

pytestmark = pytest.mark.django_db


def members(slug, day):
    return {
        (m.country.alpha3, m.role, m.is_suspended)
        for m in Bloc.objects.get(slug=slug).memberships.active_on(d(day)).select_related("country")
    }


def full_members(slug, day):
    return sorted(code for code, role, _ in members(slug, day) if role == "member")


def test_seed_has_the_scope_of_the_fact_sheet(seed):
    assert Country.objects.count() == 54  # 11 in the first scope, 43 more with the wider blocs
    assert set(Bloc.objects.values_list("slug", flat=True)) >= {
        "cst",
        "csto",
        "csto-crrf",
        "eurasec",
        "cu-bkr",
        "ses",
        "eaeu",
        "cis",
        "nato",
    }
    assert Membership.objects.count() > 50
    assert Event.objects.count() > 70
    assert Source.objects.filter(key="stratfor-2012-12-05").exists()


def test_loading_twice_changes_nothing(seed):
    before = dump()
    counts = {}

    class Out:
        def write(self, text):
            kind, rest = text.split(":", 1)
            counts[kind] = rest.strip()

    call_command("load_records", str(FIXTURES / "seed.json"), stdout=Out())
    assert all(text.startswith("0 created, 0 changed") for text in counts.values()), counts
    assert dump() == before


def test_every_record_cites_a_source(seed):
    assert not Membership.objects.filter(sources__isnull=True).exists()
    assert not Event.objects.filter(sources__isnull=True).exists()


def test_csto_members_when_the_article_was_written(seed):
    # Stratfor, 5 December 2012: the six, and "until recently" Uzbekistan (its note of June 2012).
    assert full_members("csto", "2012-12-05") == ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
    assert ("UZB", "member", False) in members("csto", "2012-12-05")


def test_uzbekistan_is_suspended_not_gone_after_december_2012(seed):
    assert ("UZB", "member", True) in members("csto", "2012-12-19")
    assert ("UZB", "member", True) in members("csto", "2025-01-01")


def test_uzbekistan_has_two_spells_in_the_collective_security_system(seed):
    spells = Membership.objects.filter(country__alpha3="UZB", bloc__slug__in=["cst", "csto"]).order_by("start")
    assert [(m.bloc.slug, m.partial_date("start").iso, m.end and m.partial_date("end").iso) for m in spells] == [
        ("cst", "1992-05-15", "1999-04-20"),
        ("csto", "2006-08-16", None),
    ]


def test_armenias_freeze_is_self_declared(seed):
    spell = Membership.objects.get(country__alpha3="ARM", bloc__slug="csto")
    assert (spell.partial_date("suspension_start").iso, spell.suspension_kind) == ("2024-02-22", "self_declared")
    assert spell.end is None


def test_customs_union_when_the_article_was_written(seed):
    assert full_members("cu-bkr", "2012-12-05") == ["BLR", "KAZ", "RUS"]


def test_eaeu_after_kyrgyz_accession(seed):
    assert full_members("eaeu", "2015-08-06") == ["ARM", "BLR", "KAZ", "KGZ", "RUS"]
    assert ("KGZ", "candidate", False) in members("eaeu", "2015-08-05")


def test_moldova_became_an_eaeu_observer_in_2018_not_2017(seed):
    assert ("MDA", "observer", False) not in members("eaeu", "2017-04-14")
    assert ("MDA", "observer", False) in members("eaeu", "2018-05-14")


def test_eurasec_ended_with_its_termination(seed):
    assert members("eurasec", "2015-01-01") == set()
    assert full_members("eurasec", "2014-12-31") == ["BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"]


def test_georgia_left_the_cis(seed):
    spell = Membership.objects.get(country__alpha3="GEO", bloc__slug="cis")
    assert (spell.partial_date("start").iso, spell.partial_date("end").iso, spell.end_reason) == (
        "1993-12",
        "2009-08-18",
        "withdrawal",
    )


def test_the_articles_wrong_year_is_corrected_and_noted(seed):
    osh = Event.objects.get(date=d("2010-06-10"))
    assert "2011" in osh.notes
    assert osh.sources.filter(key="stratfor-2012-12-05").exists()


def test_successions_are_recorded(seed):
    eaeu = Bloc.objects.get(slug="eaeu")
    assert sorted(eaeu.predecessors.values_list("slug", flat=True)) == ["cu-bkr", "eurasec", "ses"]
    assert Bloc.objects.get(slug="csto-crrf").parent.slug == "csto"


def test_seed_file_is_what_dump_writes_back(seed):
    # Every field of the file survives a load and dump, so curators' exports can be diffed with it.
    with open(FIXTURES / "seed.json", encoding="utf-8") as f:
        original = json.load(f)
    dumped = dump()
    assert len(dumped["memberships"]) == len(original["memberships"])
    assert len(dumped["events"]) == len(original["events"])
    assert {s["key"] for s in dumped["sources"]} == {s["key"] for s in original["sources"]}


# The wider record: events from 1991, Turkmenistan in the CIS, the SCO, GUAM, the Union State and NATO.

NATO_2024 = sorted(
    "ALB BEL BGR CAN CZE DEU DNK ESP EST FIN FRA GBR GRC HRV HUN ISL ITA LTU LUX LVA MKD MNE NLD NOR POL PRT ROU SVK "
    "SVN SWE TUR USA".split()
)


def test_nato_has_its_32_members_the_day_after_swedens_accession(seed):
    assert full_members("nato", "2024-03-08") == NATO_2024
    assert "SWE" not in full_members("nato", "2024-03-06")


def test_nato_founders_are_members_from_the_treaty_in_force(seed):
    assert full_members("nato", "1949-08-23") == []
    assert full_members("nato", "1949-08-24") == sorted("BEL CAN DNK FRA GBR ISL ITA LUX NLD NOR PRT USA".split())
    assert {"CZE", "HUN", "POL"} <= set(full_members("nato", "1999-03-12"))
    assert len(full_members("nato", "1999-03-12")) == 19
    assert len(full_members("nato", "2004-03-29")) == 26
    nato = Bloc.objects.get(slug="nato")
    assert nato.partial_date("founded").iso == "1949-04-04"


def test_turkmenistan_became_a_cis_associate_on_2005_08_26(seed):
    assert ("TKM", "member", False) in members("cis", "2005-08-25")
    assert ("TKM", "associate", False) not in members("cis", "2005-08-25")
    assert ("TKM", "associate", False) in members("cis", "2005-08-26")
    assert "TKM" not in full_members("cis", "2005-08-26")


def test_shanghai_five_became_the_sco(seed):
    assert full_members("shanghai-five", "1996-04-26") == ["CHN", "KAZ", "KGZ", "RUS", "TJK"]
    assert full_members("shanghai-five", "2001-06-14") == ["CHN", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
    assert full_members("shanghai-five", "2001-06-15") == []
    assert full_members("sco", "2001-06-15") == ["CHN", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
    assert list(Bloc.objects.get(slug="sco").predecessors.values_list("slug", flat=True)) == ["shanghai-five"]


def test_sco_members_and_partners_on_a_few_dates(seed):
    assert full_members("sco", "2017-06-09") == ["CHN", "IND", "KAZ", "KGZ", "PAK", "RUS", "TJK", "UZB"]
    assert ("IND", "candidate", False) in members("sco", "2016-06-01")
    assert ("IRN", "observer", False) in members("sco", "2021-09-16")
    assert ("IRN", "candidate", False) in members("sco", "2021-09-17")
    assert "IRN" in full_members("sco", "2023-07-04")
    assert len(full_members("sco", "2024-07-04")) == 10
    assert ("BLR", "dialogue_partner", False) in members("sco", "2010-01-01")
    assert ("MNG", "observer", False) in members("sco", "2004-06-17")
    assert ("AFG", "observer", True) in members("sco", "2022-01-01")  # inactive in fact, no decision
    spell = Membership.objects.get(country__alpha3="AFG", bloc__slug="sco")
    assert (spell.partial_date("suspension_start").iso, spell.suspension_kind) == ("2021-09", "de_facto")


def test_guam_and_uzbekistans_spell(seed):
    assert full_members("guam", "1997-10-10") == ["AZE", "GEO", "MDA", "UKR"]
    assert full_members("guam", "2001-06-07") == ["AZE", "GEO", "MDA", "UKR", "UZB"]
    assert ("UZB", "member", True) in members("guam", "2003-01-01")
    assert full_members("guam", "2005-05-05") == ["AZE", "GEO", "MDA", "UKR"]
    spell = Membership.objects.get(country__alpha3="UZB", bloc__slug="guam")
    assert (spell.suspension_kind, spell.end_reason) == ("self_declared", "withdrawal")


def test_union_state_and_its_predecessors(seed):
    assert full_members("by-ru-community", "1996-04-02") == ["BLR", "RUS"]
    assert full_members("by-ru-union", "1999-12-31") == ["BLR", "RUS"]
    assert full_members("union-state", "2000-01-25") == []
    assert full_members("union-state", "2000-01-26") == ["BLR", "RUS"]
    chain = {b.slug: sorted(b.predecessors.values_list("slug", flat=True)) for b in Bloc.objects.all()}
    assert chain["union-state"] == ["by-ru-union"]
    assert chain["by-ru-union"] == ["by-ru-community"]
    assert Bloc.objects.get(slug="union-state").partial_date("founded").iso == "1999-12-08"


def test_every_bloc_has_a_founding_date_members_and_events(seed):
    for bloc in Bloc.objects.all():
        assert bloc.founded is not None, bloc.slug
        # A force inside a bloc (the CRRF) has participants; every other bloc has members.
        assert bloc.memberships.filter(role="member" if bloc.parent_id is None else "participant").exists(), bloc.slug
        assert Event.objects.for_bloc(bloc).exists(), bloc.slug
        assert bloc.sources.exists(), bloc.slug


def test_the_record_starts_in_1991_with_the_belovezha_accords(seed):
    first = Event.objects.filter(blocs__slug="cis").order_by("date").first()
    assert (first.date.isoformat(), first.kind) == ("1991-12-08", "treaty_signed")
    assert Event.objects.filter(date__year__lt=2009).count() > 60
    assert Event.objects.get(date=d("1992-05-15"), blocs__slug="cst").location == "Tashkent, Uzbekistan"


def test_disputed_dates_keep_the_preferred_value_and_note_the_others(seed):
    memo = Event.objects.get(title="CSTO and SCO sign a memorandum of understanding")
    assert memo.date.isoformat() == "2007-10-05" and "2007-10-06" in memo.notes
    georgia = Event.objects.get(title="Georgia joins the CIS")
    assert (georgia.partial_date("date").iso, "1993-12-03" in georgia.notes) == ("1993-12", True)
    greece = Membership.objects.get(country__alpha3="GRC", bloc__slug="nato")
    assert greece.partial_date("start").iso == "1952-02-18" and "1952-02-15" in greece.notes


def test_unverified_items_stay_out(seed):
    # §9.4 and §10.5: Georgia's CIS day, the 2006 GUAM Charter in force, the Gulf dialogue partners.
    assert not Event.objects.filter(date=d("1993-12-03")).exists()
    assert not Event.objects.filter(date=d("2007-10-06"), title__icontains="memorandum").exists()
    assert not Membership.objects.filter(bloc__slug="sco", country__alpha3__in=["EGY", "QAT", "SAU"]).exists()
    assert not Country.objects.filter(alpha3__in=["EGY", "QAT", "SAU", "ARE", "KWT"]).exists()


def test_new_countries_carry_their_iso_and_cow_codes(seed):
    codes = dict(Country.objects.values_list("alpha3", "cow_code"))
    assert (codes["TKM"], codes["MNG"], codes["MNE"], codes["SVN"], codes["CZE"], codes["DEU"]) == (
        701,
        712,
        341,
        349,
        316,
        255,
    )
    assert "260" in Country.objects.get(alpha3="DEU").notes


def test_every_new_record_cites_its_sources(seed):
    new_blocs = ["shanghai-five", "sco", "guam", "by-ru-community", "by-ru-union", "union-state", "nato"]
    assert not Membership.objects.filter(bloc__slug__in=new_blocs, sources__isnull=True).exists()
    assert not Event.objects.filter(date__year__lt=2006, sources__isnull=True).exists()
    for slug in new_blocs:
        assert Bloc.objects.get(slug=slug).sources.count() >= 5, slug
    # Every source the records cite is in the registry with its address.
    assert not Source.objects.filter(key__in=["prlib-619792", "cow-ssm", "sectsco-about"], url="").exists()


@pytest.mark.parametrize(
    "day, keys",
    [
        ("2006-06-23", {"panarmenian-18523", "asiaplus-2006-06-26", "cislegis-16397", "upi-2006-06-25"}),
        ("2006-08-16", {"tass-678014", "obozrevatel-2006-12-14", "asiaplus-2006-08-17", "lenta-2006-12-13"}),
        ("2006-12-13", {"obozrevatel-2006-12-14", "lenta-2006-12-13", "narodinfo-46314"}),
        ("2008-03-28", {"armdiaspora-2008-03-28", "narodinfo-46314", "asiaplus-96150"}),
    ],
)
def test_uzbekistans_return_to_the_csto_cites_the_sources_of_the_wider_record(seed, day, keys):
    # The four candidate dates of the return (D2) were seeded before the wider record; they cite its sources too.
    event = Event.objects.get(date=d(day), blocs__slug="csto", countries__alpha3="UZB")
    assert keys <= set(event.sources.values_list("key", flat=True))
