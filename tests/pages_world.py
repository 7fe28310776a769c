"""A small, realistic record for the page tests: the CST and CSTO, the EAEU, the CIS and their members."""

from types import SimpleNamespace

from django.db import transaction

from blocs.models import Succession
from eurasia.partial_dates import PartialDate

from .conftest import make_bloc, make_country, make_event, make_membership, make_source


def dates(**kw):
    """Partial dates typed as text ("2012-06") become the model's date and precision fields."""
    fields = {}
    for name, text in kw.items():
        if text is None:
            continue
        value = PartialDate.parse(text)
        fields[name] = value.date
        fields[f"{name}_precision"] = value.precision
    return fields


def spell(country, bloc, start, end=None, *, sources=(), **kw):
    partial = {name: kw.pop(name, None) for name in ("suspension_start", "suspension_end")}
    m = make_membership(country=country, bloc=bloc, **dates(start=start, end=end, **partial), **kw)
    m.sources.set(sources)
    return m


def build_world():
    w = SimpleNamespace()
    w.tass = make_source(
        key="tass-687141", title="CSTO suspends Uzbekistan", publisher="TASS", url="https://tass.com/world/687141"
    )
    w.odkb = make_source(key="odkb-basic", title="Basic facts", publisher="CSTO", url="https://en.odkb-csto.org/")
    w.stratfor = make_source(key="stratfor-2012-12-05", title="Russia Moves to Reinforce Its Alliances")

    c = {}
    for alpha3, alpha2, name in [
        ("RUS", "RU", "Russia"),
        ("BLR", "BY", "Belarus"),
        ("ARM", "AM", "Armenia"),
        ("KAZ", "KZ", "Kazakhstan"),
        ("KGZ", "KG", "Kyrgyzstan"),
        ("TJK", "TJ", "Tajikistan"),
        ("UZB", "UZ", "Uzbekistan"),
        ("SRB", "RS", "Serbia"),
        ("UKR", "UA", "Ukraine"),
        ("CUB", "CU", "Cuba"),
    ]:
        c[alpha3] = make_country(alpha3=alpha3, alpha2=alpha2, name=name)
    w.countries = c

    w.cst = make_bloc(
        slug="cst", name="Collective Security Treaty", abbreviations=["CST"], **dates(founded="1994-04-20")
    )
    w.csto = make_bloc(
        slug="csto",
        name="Collective Security Treaty Organization",
        abbreviations=["CSTO", "ОДКБ"],
        description="The military alliance built on the Collective Security Treaty.",
        **dates(founded="2003-09-18"),
    )
    w.csto.sources.set([w.odkb])
    Succession.objects.create(predecessor=w.cst, successor=w.csto)
    w.crrf = make_bloc(
        slug="csto-crrf",
        name="CSTO Collective Rapid Reaction Force",
        abbreviations=["CRRF"],
        parent=w.csto,
        **dates(founded="2009-06"),
    )
    w.eurasec = make_bloc(
        slug="eurasec",
        name="Eurasian Economic Community",
        abbreviations=["EurAsEC"],
        kind="economic_union",
        **dates(founded="2001-05-30", dissolved="2015-01-01"),
    )
    w.eaeu = make_bloc(
        slug="eaeu",
        name="Eurasian Economic Union",
        abbreviations=["EAEU"],
        kind="economic_union",
        **dates(founded="2015-01-01"),
    )
    w.cu = make_bloc(
        slug="cu-bkr",
        name="Customs Union of Belarus, Kazakhstan and Russia",
        abbreviations=["CU"],
        kind="customs_union",
        **dates(founded="2010-01-01", dissolved="2015-01-01"),
    )
    Succession.objects.create(predecessor=w.eurasec, successor=w.eaeu)
    Succession.objects.create(predecessor=w.cu, successor=w.eaeu)
    w.cis = make_bloc(
        slug="cis",
        name="Commonwealth of Independent States",
        abbreviations=["CIS"],
        kind="political",
        **dates(founded="1991-12"),
    )

    for code in ("ARM", "KAZ", "KGZ", "RUS", "TJK"):
        spell(c[code], w.cst, "1994-04-20", "2003-09-18", end_reason="succeeded", sources=[w.odkb])
    w.uzb_cst = spell(c["UZB"], w.cst, "1994-04-20", "1999-04-20", end_reason="non_renewal", sources=[w.odkb])
    for code in ("RUS", "BLR", "KAZ", "KGZ", "TJK"):
        spell(c[code], w.csto, "2003-09-18", sources=[w.odkb])
    w.arm_csto = spell(
        c["ARM"],
        w.csto,
        "2003-09-18",
        suspension_start="2024-02",
        suspension_kind="self_declared",
        sources=[w.odkb],
    )
    w.uzb_second = spell(
        c["UZB"],
        w.csto,
        "2006-08-16",
        "2013",
        suspension_start="2012-12-19",
        suspension_kind="formal",
        end_reason="withdrawal",
        notes="The founding article says Uzbekistan officially left soon after June 2012.",
        sources=[w.tass],
    )
    spell(c["SRB"], w.csto, "2013-04", role="observer")
    for code in ("RUS", "KAZ"):
        spell(c[code], w.crrf, "2009-06")
    for code in ("RUS", "BLR", "KAZ"):
        spell(c[code], w.eurasec, "2001-05-30", "2015-01-01", end_reason="succeeded")
        spell(c[code], w.cu, "2010-01-01", "2015-01-01", end_reason="succeeded")
        spell(c[code], w.eaeu, "2015-01-01")
    spell(c["ARM"], w.eaeu, "2015-01-02")
    spell(c["KGZ"], w.eaeu, "2015-08-12")
    spell(c["CUB"], w.eaeu, "2020-12-11", role="observer")
    spell(c["RUS"], w.cis, "1991-12")
    spell(c["UKR"], w.cis, "1991-12", "2018-05", end_reason="withdrawal")

    w.suspension_event = make_event(
        title="CSTO formally suspends Uzbekistan",
        kind="suspension",
        blocs=[w.csto],
        countries=[c["UZB"]],
        sources=[w.tass],
        **dates(date="2012-12-19"),
    )
    w.suspension_event.memberships.set([w.uzb_second])
    w.osh_event = make_event(
        title="Ethnic violence in Osh",
        kind="crisis",
        description="Clashes in southern Kyrgyzstan; the CSTO did not deploy peacekeepers.",
        location="Osh",
        blocs=[w.csto],
        countries=[c["KGZ"], c["UZB"]],
        sources=[w.stratfor],
        **dates(date="2010-06-10", end_date="2010-06-14"),
    )
    w.eaeu_event = make_event(
        title="Treaty on the Eurasian Economic Union signed",
        kind="treaty_signed",
        blocs=[w.eaeu],
        countries=[c["RUS"], c["BLR"], c["KAZ"]],
        **dates(date="2014-05"),
    )
    return w


def shared_world(django_db_blocker):
    """Build the record once for a whole test module, inside a transaction rolled back at its end.

    Each test then runs in a savepoint of that transaction, as in Django's TestCase with
    setUpTestData, so whatever a test adds is gone before the next one.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
