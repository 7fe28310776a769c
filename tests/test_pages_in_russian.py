"""Every public page in both languages: the Russian page answers like the English one, in Russian, with the same queries."""

import re

import pytest
from django.core.cache import cache

from blocs.models import Country
from eurasia import page_cache
from events.models import Event

from .pages import page, text_of

pytestmark = pytest.mark.django_db


def russian_order(names):
    """Alphabetical as a Russian reader expects: case ignored, ё with е, names shown in English last."""
    return sorted(names, key=lambda n: (not re.match("[А-яЁё]", n), n.casefold().replace("ё", "е")))


def heading(html):
    return text_of(re.search(r"<h1\b.*?</h1>", html, flags=re.S).group(0))


def first_event():
    return Event.objects.order_by("pk").first()


# Each public page, the queries it makes (as the English page tests pin them, and first the records'
# state for the page cache), and the words of its heading in each language.
PAGES = [
    ("/", 9, "Who belonged to which of Eurasia's blocs, and when", "Кто и когда входил в блоки Евразии"),
    ("/blocs/", 4, "Blocs", "Блоки"),
    (
        "/blocs/csto/",
        20,
        "Collective Security Treaty Organization",
        "Организация Договора о коллективной безопасности",
    ),
    ("/countries/", 4, "Countries", "Страны"),
    ("/countries/arm/", 14, "Armenia", "Армения"),
    ("/on/2012-12-05/", 7, "Who belonged to what on 5 December 2012", "Кто во что входил на 5 декабря 2012 г."),
    ("/on/2012-07-01/?show=csto,nato", 7, "1 July 2012", "1 июля 2012 г."),
    ("/events/", 8, "Events", "События"),
    ("/events/?q=summit", 8, "Events", "События"),
    ("/events/?bloc=csto&from=2012&to=2012", 8, "Events of the CSTO", "События ОДКБ"),
    ("/data/", 7, "Data downloads", "Выгрузки данных"),  # the cells each reading changes, in a savepoint
    ("/data/codebook/", 0, "Codebook", "Кодовая книга"),
]


def draw(client, url, queries, django_assert_num_queries):
    # Drawn afresh, so that both languages count the drawing, not the other's kept copy.
    page_cache.store().clear()
    cache.clear()
    with django_assert_num_queries(queries):
        return page(client, url)


@pytest.mark.parametrize("url, queries, english, russian", PAGES)
def test_each_page_in_both_languages_with_the_same_queries(
    client, seed, django_assert_num_queries, url, queries, english, russian
):
    html = draw(client, url, queries, django_assert_num_queries)
    assert '<html lang="en">' in html and english in heading(html)
    html = draw(client, "/ru" + url, queries, django_assert_num_queries)
    assert '<html lang="ru">' in html and russian in heading(html)
    assert f'<link rel="alternate" hreflang="en" href="{url.replace("&", "&amp;")}">' in html


def test_an_event_page_in_both_languages_with_the_same_queries(client, seed, django_assert_num_queries):
    # The records' state; the event; its blocs; its countries; its sources; the spells it changed.
    event = Event.objects.exclude(title_ru="").order_by("pk").first()
    html = draw(client, f"/events/{event.pk}/", 7, django_assert_num_queries)
    assert heading(html) == event.title
    html = draw(client, f"/ru/events/{event.pk}/", 7, django_assert_num_queries)
    assert '<html lang="ru">' in html and heading(html) == event.title_ru
    assert "Источники" in text_of(html)


def test_russian_lists_sort_by_the_russian_name(client, seed):
    names = re.findall(r'<th scope="row"><a href="/ru/countries/[a-z]{3}/">([^<]+)</a>', page(client, "/ru/countries/"))
    assert names == russian_order(names) and "Армения" in names and "Казахстан" in names
    english = re.findall(r'<th scope="row"><a href="/countries/[a-z]{3}/">([^<]+)</a>', page(client, "/countries/"))
    assert english == sorted(english) and names != english
    # The events' filter offers blocs and countries by their Russian names, in that order.
    html = page(client, "/ru/events/")

    def options_of(name):
        select = re.search(rf'<select [^>]*name="{name}".*?</select>', html, flags=re.S).group(0)
        return re.findall(r'<option value="[^"]+">([^<]+)</option>', select)

    options = options_of("country")
    assert options == russian_order(options) and "Узбекистан" in options
    blocs = options_of("bloc")
    assert "Организация Договора о коллективной безопасности (ОДКБ)" in blocs
    assert blocs == russian_order(blocs)
    # The members of a bloc on a date, by their Russian names.
    html = page(client, "/ru/on/2012-12-05/")
    section = re.search(r'<section [^>]*aria-labelledby="bloc-csto".*?</section>', html, flags=re.S).group(0)
    members = re.findall(r'<th scope="row"><a href="/ru/countries/[a-z]{3}/">([^<]+)</a>', section)
    assert members == russian_order(members) and "Узбекистан" in members


def test_a_country_without_a_russian_name_sorts_by_its_english_one(client, seed):
    Country.objects.filter(alpha3="KAZ").update(name_ru="")
    html = page(client, "/ru/countries/")
    names = re.findall(r'<th scope="row"><a href="/ru/countries/[a-z]{3}/">(.+?)</a></th>', html)
    assert "Kazakhstan" in names[-1] and "(по-английски)" in names[-1]
    assert names[:-1] == russian_order(names[:-1])


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/ru/blocs/nope/", 404, "Блока с кратким именем «nope» нет."),
        ("/ru/countries/xyz/", 404, "Страны с кодом «xyz» в базе нет."),
        ("/ru/on/2013-02-30/", 404, "в месяце «февраль 2013 г.» нет 30-го числа"),
        ("/ru/on/2012-07-01/?show=csto&family=military", 400, "Выберите либо группу (?family=), либо блоки"),
        ("/ru/on/2012-07-01/?show=a,b,c,d,e,f,g", 400, "Карта может раскрасить не больше 6 блоков сразу."),
        ("/ru/events/?from=2013&to=2012", 400, "Годы идут в обратном порядке"),
        ("/ru/events/?bloc=nope", 400, "Блока с кратким именем «nope» нет."),
        ("/ru/events/?page=99", 404, "Страницы «99» с этими событиями нет"),
        ("/ru/data/members.csv?date=2012-13-01", 400, "«2012-13-01» — не дата"),
        ("/ru/data/country-year.csv?from=abc", 400, "«abc» — не год"),
    ],
)
def test_bad_addresses_are_explained_in_russian(client, seed, url, status, message):
    html = page(client, url, status=status)
    assert '<html lang="ru">' in html
    assert message in text_of(html)
