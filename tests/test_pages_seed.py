"""The public pages on the project's seed data: the facts of the fact sheet as a reader finds them."""

import re

import pytest

from .pages import assert_accessible_chart, assert_strict_csp_friendly, page, row_of, svg_of, text_of

pytestmark = pytest.mark.django_db


def section(html, slug):
    match = re.search(rf'<section class="bloc-on-date[^"]*" aria-labelledby="bloc-{slug}">.*?</section>', html, re.S)
    assert match, f"no section for {slug}"
    return match.group(0)


def countries_in(section_html):
    return re.findall(r'<th scope="row"><a href="/countries/([a-z]{3})/">', section_html)


def settled(row):
    """A table row without its disputed dates' claims: the dates the record uses."""
    return re.sub(r'<details class="dispute">.*?</details>', "", row, flags=re.S)


def test_csto_page_shows_uzbekistans_two_spells_the_second_suspended(client, seed):
    html = page(client, "/blocs/csto/")
    rows = [text_of(settled(r)) for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if "/countries/uzb/" in r]
    assert len(rows) == 2
    assert rows[0].startswith("Uzbekistan CST member 15 May 1992 20 April 1999 non-renewal")
    assert rows[1].startswith("Uzbekistan CSTO member 16 August 2006 continues")
    assert "suspended from 19 December 2012 formal decision of the bloc" in rows[1]
    armenia = text_of(row_of(html, "/countries/arm/", "/blocs/csto/"))
    assert "self-suspended from 22 February 2024 self-declared by the country" in armenia
    timeline = svg_of(html, "timeline")
    assert_accessible_chart(timeline)
    assert timeline.count("<title>Uzbekistan in") == 2
    assert_strict_csp_friendly(html)


def test_every_spell_cites_its_sources_as_links_or_keys(client, seed):
    html = page(client, "/blocs/csto/")
    for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S)[1:]:
        assert '<ul class="sources">' in row, text_of(row)
    assert "no source recorded" not in text_of(html)


def test_the_founding_articles_day(client, seed):
    """5 December 2012: the CSTO had seven members, Uzbekistan not yet suspended; the Customs Union three."""
    html = page(client, "/on/2012-12-05/")
    assert sorted(countries_in(section(html, "csto"))) == ["arm", "blr", "kaz", "kgz", "rus", "tjk", "uzb"]
    assert "in good standing" in text_of(row_of(section(html, "csto"), "/countries/uzb/"))
    customs_union = section(html, "cu-bkr")
    assert "Kyrgyzstan candidate / acceding" in text_of(customs_union)
    members = [c for c in countries_in(customs_union) if c != "kgz"]
    assert sorted(members) == ["blr", "kaz", "rus"]

    # The founding article's two layers are one link away from the page, whose map colours every family.
    assert re.search(r'<a href="/on/2012-12-05/\?family=article">the founding article(\'|&#x27;)s map</a>', html)
    region_map = svg_of(page(client, "/on/2012-12-05/?family=article"), "map")
    for code, category in [("rus", "both"), ("blr", "both"), ("kaz", "both"), ("arm", "military"), ("uzb", "military")]:
        assert re.search(rf'<a href="/countries/{code}/" tabindex="-1" class="country {category}">', region_map), code
    # Kyrgyzstan: in the CSTO and a candidate of the Customs Union; Ukraine: in neither.
    assert re.search(r'<a href="/countries/kgz/" tabindex="-1" class="country military">', region_map)
    assert re.search(r'<a href="/countries/ukr/" tabindex="-1" class="country none">', region_map)


def test_after_the_suspension_uzbekistan_is_hatched(client, seed):
    html = page(client, "/on/2012-12-20/")
    uzbekistan = re.search(r'<a href="/countries/uzb/"[^>]*>(.*?)</a>', svg_of(html, "map"), re.S).group(1)
    assert "map-overlay" in uzbekistan
    assert "suspended since 19 December 2012" in text_of(row_of(section(html, "csto"), "/countries/uzb/"))


def test_eaeu_and_its_forerunners(client, seed):
    html = page(client, "/blocs/eaeu/")
    words = text_of(html)
    assert "Continues" in words
    for slug in ("eurasec", "cu-bkr", "ses"):
        assert f'href="/blocs/{slug}/"' in html
    kyrgyzstan = [text_of(settled(r)) for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if "/countries/kgz/" in r]
    assert any(r.startswith("Kyrgyzstan EAEU candidate / acceding 1 January 2015 6 August 2015") for r in kyrgyzstan)
    assert any(r.startswith("Kyrgyzstan EAEU member 6 August 2015 continues") for r in kyrgyzstan)


def test_month_precision_is_kept(client, seed):
    html = page(client, "/countries/geo/")
    assert "December 1993" in text_of(row_of(html, "/blocs/cis/"))
    assert "1 December 1993" not in text_of(html)


@pytest.mark.parametrize(
    "url, queries",
    [
        # blocs; successions; today's member count of each; each country's standing for the map;
        # today's spells in the blocs shown; recent events; their blocs; their sources
        ("/", 8),
        # the bloc and parent; its claims; their sources; predecessors; successors; forces inside; each
        # country's first spell and count in it and its predecessors; its spells today; the page's
        # spells; their sources; their claims; the claims' sources; markers; latest events; their
        # sources; their countries; their claims; the claims' sources; bloc sources
        ("/blocs/csto/", 19),
        # the country; each bloc's first spell and count; its spells today; the page's spells with
        # blocs; their sources; their claims; the claims' sources; markers; latest events; their
        # sources; their blocs; their claims; the claims' sources
        ("/countries/arm/", 13),
        # blocs; successions; each country's standing for the map; the first spell and the nearest
        # changes; spells in force in the page's blocs, with countries and blocs; their sources
        ("/on/2012-12-05/", 6),
        # filter blocs; filter countries; per year, which gives the count; one page; its blocs; its
        # countries; its sources
        ("/events/?q=summit", 7),
    ],
)
def test_query_counts_on_the_seed(client, seed, django_assert_num_queries, url, queries):
    with django_assert_num_queries(queries + 1):  # and first, the records' state (page cache)
        response = client.get(url)
    assert response.status_code == 200


# The map at the breadth of the wider record: a reader chooses what it colours.


def map_class(region_map, code):
    return re.search(rf'<a href="/countries/{code}/" tabindex="-1" class="country ([^"]+)">', region_map).group(1)


def test_the_map_colours_two_chosen_blocs_and_stripes_a_country_in_both(client, seed):
    html = page(client, "/on/2024-07-04/?show=csto,sco")
    region_map = svg_of(html, "map")
    assert_accessible_chart(region_map)
    assert (map_class(region_map, "rus"), map_class(region_map, "kaz")) == ("several", "several")
    assert (map_class(region_map, "arm"), map_class(region_map, "chn"), map_class(region_map, "ukr")) == (
        "csto",
        "sco",
        "none",
    )
    russia = re.search(r'<a href="/countries/rus/"[^>]*>(.*?)</a>', region_map, re.S).group(1)
    assert 'fill="url(#map-split-c0503f-2f72a8)"' in russia  # stripes of both colours
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "CSTO member" in key and "SCO member" in key
    assert "Striped: a member of two or more of these, in their colours" in key
    # India and Pakistan are drawn; no SCO member lies outside the frame, but Sri Lanka and Nepal (partners) do.
    # Each set of blocs is named once, after its countries; no Laos, which came only in 2025.
    assert "Outside the map: Cambodia, Nepal, Sri Lanka (SCO)." in text_of(html)
    # The choice is kept by the links to other days.
    assert re.search(r'<a rel="prev" href="/on/[0-9-]+/\?show=csto,sco"', html)


def test_nato_members_outside_the_frame_are_listed_beside_the_map(client, seed):
    html = page(client, "/on/2024-03-08/?show=csto,nato")
    region_map = svg_of(html, "map")
    assert (map_class(region_map, "pol"), map_class(region_map, "tur"), map_class(region_map, "rus")) == (
        "nato",
        "nato",
        "csto",
    )
    words = text_of(html)
    outside = re.search(r"Outside the map: ([^.(]*) \(NATO\)\.", words).group(1).split(", ")
    for name in ("Canada", "United States", "Spain", "North Macedonia"):
        assert name in outside, name


def test_one_family_colours_each_of_its_lines(client, seed):
    html = page(client, "/on/2024-03-08/?family=military")
    region_map = svg_of(html, "map")
    # The CST stays in force under the CSTO, which continues it: its parties read as one line, one colour.
    assert (map_class(region_map, "rus"), map_class(region_map, "arm"), map_class(region_map, "swe")) == (
        "csto",
        "csto",
        "nato",
    )
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "CST / CSTO member" in key and "NATO member" in key
    assert "Striped" in key  # NATO and the CSTO line: two colours
    assert '<span aria-current="true">military alliances</span>' in html


def test_every_family_at_once(client, seed):
    html = page(client, "/on/2008-01-01/?family=all")
    region_map = svg_of(html, "map")
    assert map_class(region_map, "rus") == "several"  # CSTO, EurAsEC, CIS, SCO, Union State
    assert map_class(region_map, "chn") == "political"  # the SCO
    assert map_class(region_map, "pol") == "military"  # NATO
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "Member of a political organisation (CIS, GUAM, Union State, SCO)" in key


def test_the_map_colours_every_family_by_default(client, seed):
    html = page(client, "/on/2012-12-05/")
    region_map = svg_of(html, "map")
    assert region_map == svg_of(page(client, "/on/2012-12-05/?family=all"), "map")
    assert '<span aria-current="true">every family</span>' in html
    # Russia in all three families, striped; China in the SCO; Ukraine in GUAM, which the article's map left blank.
    assert (map_class(region_map, "rus"), map_class(region_map, "chn"), map_class(region_map, "ukr")) == (
        "several",
        "political",
        "political",
    )
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "Member of a military alliance (NATO, CST, CSTO)" in key
    assert "Member of an economic or customs union (EurAsEC, CU, SES)" in key
    assert "Member of a political organisation (CIS, GUAM, Union State, SCO)" in key
    home = page(client, "/")
    assert '<span aria-current="true">every family</span>' in home
    assert 'href="/?family=article"' in home
    assert "Member of a political organisation" in text_of(re.search(r'<ul class="map-legend".*?</ul>', home, re.S)[0])


def test_a_bloc_and_the_bloc_continuing_it_are_one_colour_but_a_merger_is_not(client, seed):
    # 10 January 2000: the Union of Belarus and Russia and the Union State continuing it both exist.
    html = page(client, "/on/2000-01-10/?family=political")
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "/ Union State" in key and "CIS member" in key
    assert key.count("Union State") == 1  # one entry for the union and the Union State
    belarus = re.search(r'<a href="/countries/blr/"[^>]*>(.*?)</a>', svg_of(html, "map"), re.S).group(1)
    assert 'fill="url(#map-split-c0503f-3d8b5a)"' in belarus  # the CIS (first colour) and the union's line (third)
    # The EAEU continues three blocs at once: in 2012 they are still told apart.
    html = page(client, "/on/2012-12-05/?family=economic")
    key = text_of(re.search(r'<ul class="map-legend".*?</ul>', html, re.S).group(0))
    assert "EurAsEC member" in key and "CU member" in key and "SES member" in key
    assert map_class(svg_of(html, "map"), "uzb") == "eurasec"


@pytest.mark.parametrize(
    "query, message",
    [
        ("?show=csto,atlantis", "There is no bloc with the short name “atlantis”."),
        ("?family=naval", "“naval” is not a family of blocs"),
        ("?show=csto&family=military", "Choose either a family (?family=) or blocs (?show=), not both."),
        ("?show=a,b,c,d,e,f,g", "The map can colour at most 6 blocs at once."),
        ("?show=%3Cscript%3E", "short name: use names such as csto,nato"),
    ],
)
def test_a_choice_the_map_cannot_draw_is_explained(client, seed, query, message):
    for url in ("/on/2012-12-05/", "/"):
        response = client.get(url + query)
        assert response.status_code == 400
        assert message in text_of(response.content.decode())


@pytest.mark.parametrize(
    "query", ["?show=csto,nato", "?family=all", "?family=political", "?family=military", "?family=article"]
)
def test_choosing_what_the_map_colours_adds_no_query(client, seed, django_assert_num_queries, query):
    # As the plain page: the records' state; blocs; successions; each country's standing for the map
    # (one query whatever the layers); the first spell and the nearest changes; spells in force; their sources.
    with django_assert_num_queries(7):
        assert client.get("/on/2012-12-05/" + query).status_code == 200
    # The home page: the records' state; blocs; successions; today's member count of each; standing
    # for the map; today's spells; recent events; their blocs; their sources.
    with django_assert_num_queries(9):
        assert client.get("/" + query).status_code == 200


def test_the_overview_shows_every_bloc_from_1991_grouped_by_family(client, seed):
    for url in ("/", "/blocs/"):
        timeline = svg_of(page(client, url), "blocs-timeline")
        labels = re.findall(r'<a href="/blocs/([a-z0-9-]+)/"', timeline)
        for slug in ("nato", "sco", "guam", "union-state", "shanghai-five", "cis"):
            assert slug in labels, slug
        # Military alliances first, then economic unions, then political organisations.
        assert labels.index("nato") < labels.index("eurasec") < labels.index("cis") < labels.index("sco")
        assert ">1992<" in timeline or ">1995<" in timeline
        assert ">1949<" not in timeline and ">1950<" not in timeline


def test_the_codebook_lists_the_blocs_with_their_cow_igo_columns(client):
    html = page(client, "/data/codebook/")
    rows = {text_of(r) for r in re.findall(r"<tr>.*?</tr>", html, re.S)}
    assert "military alliance nato North Atlantic Treaty Organization (1949) nato" in rows
    assert "political organisation sco Shanghai Cooperation Organisation (2001) sco" in rows
    assert "economic union eurasec Eurasian Economic Community (2000-2015) eaec" in rows
    assert "political organisation guam GUAM (1997) none" in rows


def test_country_year_carries_the_new_blocs(client, seed):
    response = client.get("/data/country-year.csv?from=2024&to=2024")
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    lines = body.splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    status = {(r["country_alpha3"], r["bloc_slug"]): r["status"] for r in rows}
    assert status[("SWE", "nato")] == "1"
    assert status[("BLR", "sco")] == "1"
    assert status[("TKM", "cis")] == "2"  # associate
    assert status[("MNG", "sco")] == "3"  # observer
    assert status[("AZE", "sco")] == "0"  # a dialogue partner is coded 0


def test_the_map_description_says_each_group_and_its_suspensions_once(client, seed):
    region_map = svg_of(page(client, "/on/2025-01-01/?show=csto,eaeu"), "map")
    desc = text_of(re.search(r"<desc\b.*?</desc>", region_map, re.S).group(0))
    # Armenia froze its part in the CSTO in 2024: named once, after the members whose standing is whole.
    several = re.search(r"Members of several of these: ([^.]*)\.", desc).group(1)
    held, suspended = several.split("; membership suspended: ")
    assert "Armenia" in suspended.split(", ") and "Armenia" not in held
    assert {"Russia", "Belarus", "Kazakhstan", "Kyrgyzstan"} <= set(held.split(", "))
    assert "(suspended)" not in desc
    assert all(sentence.count("membership suspended") <= 1 for sentence in desc.split(". "))
