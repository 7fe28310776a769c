"""What curators and analysts read in Russian: spreadsheet problems in the admin under /ru/admin/, background
jobs asked for there, the claims columns of the codebook and a /data/ download refused for its ?reading=."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from blocs.models import Reading
from jobs.models import Job

from .conftest import d, make_bloc, make_country, make_staff
from .pages import page, text_of
from .spreadsheet_forms import snapshot
from .workers import run_worker

SPELLS = "country,bloc,role,start,end\n"
# One spell naming a country the database lacks, one with a role that is not one, one whose end comes first.
BAD_SPELLS = (SPELLS + "QQQ,csto,member,2001-01-01,\nKAZ,csto,chief,2001-01-01,\nKAZ,csto,member,2005,2001\n").encode()


@pytest.fixture
def spells_world(db):
    make_country(alpha3="KAZ", alpha2="KZ", name="Kazakhstan")
    make_bloc(slug="csto", name="Collective Security Treaty Organization", founded=d("2002-10-07"))


def preview(client, language, content, model="membership", app="blocs"):
    """The import form sent with a file, as a curator does on the admin page in one language or the other."""
    with translation.override(language):
        address = reverse(f"admin:{app}_{model}_import")
    upload = SimpleUploadedFile("spells.csv", content, content_type="text/csv")
    response = client.post(address, {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200
    assert not response.context.get("confirm_form")
    return text_of(html.unescape(response.content.decode()))


def test_a_bad_spreadsheet_imported_in_the_russian_admin_is_explained_in_russian(curator_client, spells_world):
    before = snapshot()
    text = preview(curator_client, "ru", BAD_SPELLS)
    assert "Строка 2, столбец «country»: В базе данных нет записи «QQQ» (страна)." in text
    assert "Строка 3, столбец «role»: «chief» — недопустимое значение (роль): укажите одно из следующих:" in text
    assert "There is no country" not in text and "is not a role" not in text
    assert snapshot() == before


def test_the_same_spreadsheet_in_the_english_admin_reads_as_before(curator_client, spells_world):
    before = snapshot()
    text = preview(curator_client, "en-gb", BAD_SPELLS)
    assert "Row 2, column “country”: There is no country “QQQ” in the database." in text
    assert "Row 3, column “role”: “chief” is not a role: use one of member," in text
    assert "Строка" not in text
    assert snapshot() == before


def test_a_file_whose_header_is_wrong_is_refused_in_russian(curator_client, spells_world):
    text = preview(curator_client, "ru", b"alpha-3,alpha-2,name,capital\nKGZ,KG,Kyrgyzstan,Bishkek\n", model="country")
    assert "Столбца «capital» нет среди столбцов записи (страна): name, name_ru, alpha-2, alpha-3," in text
    text = preview(curator_client, "ru", b"alpha-3,name\nKGZ,Kyrgyzstan\n", model="country")
    assert "В файле нет столбца «alpha-2»; каждой записи (страна) нужны столбцы «alpha-3», «alpha-2», «name»." in text
    text = preview(curator_client, "ru", b"alpha-3,alpha-2,name\n", model="country")
    assert "В файле есть строка заголовков, но нет строк для импорта." in text


@pytest.mark.django_db
def test_a_job_asked_for_in_the_russian_admin_reports_in_russian(settings):
    from django.test import Client

    settings.BACKGROUND_IMPORT_ROWS = 100
    client = Client()
    client.force_login(make_staff("Curators"))
    rows = [f"2001-01-{1 + n % 28:02d},Summit number {n},summit" for n in range(150)]
    content = ("\n".join(["date,title,kind", *rows, "2001-02-30,Bad date,summit"]) + "\n").encode()
    upload = SimpleUploadedFile("events.csv", content, content_type="text/csv")
    answer = client.post("/ru/admin/events/event/import/", {"import_file": upload, "format": "0", "resource": "0"})
    assert answer.status_code == 302
    job = Job.objects.get()
    assert job.params["language"] == "ru"
    assert job.title == "Предпросмотр файла events.csv (строк: 151), список «события»"
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.stage) == ("done", "Проверка строк")
    assert job.message == "В файле есть ошибки: ничего не сохранено. Они перечислены на странице предпросмотра."
    shown = text_of(html.unescape(page(client, job.get_absolute_url())))
    assert "В файле есть ошибки" in shown


@pytest.mark.django_db
def test_a_job_asked_for_in_english_keeps_no_language_and_reports_in_english(admin_client, settings):
    settings.BACKGROUND_IMPORT_ROWS = 100
    rows = [f"2001-01-{1 + n % 28:02d},Summit number {n},summit" for n in range(150)]
    upload = SimpleUploadedFile("events.csv", ("\n".join(["date,title,kind", *rows]) + "\n").encode())
    admin_client.post("/admin/events/event/import/", {"import_file": upload, "format": "0", "resource": "0"})
    job = Job.objects.get()
    assert "language" not in job.params
    run_worker()
    job.refresh_from_db()
    assert job.message == "Preview ready: 150 new, 0 changed, 0 unchanged."


CLAIMS_IN_RUSSIAN = [
    "К чему относится утверждение: членство, блок или событие.",
    "Страна срока членства (alpha-3); пусто для блока или события.",
    "Насколько точно известна дата утверждения",
    "1, если у даты есть утверждение помимо предпочтительного (дата спорная), иначе 0.",
    "1, если источники расходятся в одной из его дат",
    "Запись в том виде, в каком она была в прошлый день",
]


def test_the_russian_codebook_describes_the_claims_columns_in_russian(client, db):
    text = text_of(html.unescape(page(client, "/ru/data/codebook/")))
    for description in CLAIMS_IN_RUSSIAN:
        assert description in text
    assert "What the claim is about" not in text and "Keys of the sources that give this value" not in text
    english = text_of(html.unescape(page(client, "/data/codebook/")))
    assert "What the claim is about: membership, bloc or event." in english


@pytest.mark.parametrize(
    "url, message",
    [
        ("/ru/data/members.csv?date=2012-06-01&reading=nope", "Прочтения «nope» нет: прочтения и их ключи перечислены"),
        ("/ru/data/events.csv?from=2012&to=2012&reading=atop-4-01", "?reading= применим только к наборам данных"),
        ("/data/members.csv?date=2012-06-01&reading=nope", 'There is no reading "nope": /data/ lists the readings'),
    ],
)
def test_a_download_with_a_bad_reading_is_refused_in_the_page_language(client, db, url, message):
    Reading.objects.create(key="atop-4-01", name="ATOP v4.01")
    response = client.get(url)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


def test_a_search_cut_short_in_the_russian_admin_says_so_in_russian(curator_client):
    page_text = text_of(html.unescape(page(curator_client, "/ru/admin/blocs/membership/?q=" + "kaz+" * 300)))
    assert "Поиск принимает не более 10 слов и 200 символов: в списке показаны результаты по запросу «kaz" in page_text
    assert "A search takes at most" not in page_text


def test_a_load_asked_for_in_russian_names_its_problems_in_russian(db):
    from exchange.records import FORMAT, LoadError, load

    data = {
        "format": FORMAT,
        "countries": [{"alpha3": "", "name": "Nowhere"}],
        "memberships": [{"country": "QQQ", "bloc": "nope", "start": "2001"}],
    }
    with translation.override("ru"), pytest.raises(LoadError) as refused:
        load(data)
    assert "страна №1: alpha3 обязателен." in refused.value.problems
    assert any('неизвестная страна "QQQ"' in problem for problem in refused.value.problems)
    with pytest.raises(LoadError) as refused:
        load(data)
    assert "country #1: alpha3 is required." in refused.value.problems


def test_a_good_spreadsheet_previewed_and_confirmed_in_russian_reports_in_russian(curator_client, db):
    with translation.override("ru"):
        address = reverse("admin:blocs_country_import")
    upload = SimpleUploadedFile("countries.csv", b"alpha-3,alpha-2,name\nKGZ,KG,Kyrgyzstan\n", content_type="text/csv")
    preview_page = curator_client.post(address, {"import_file": upload, "format": "0", "resource": "0"})
    form = preview_page.context["confirm_form"]
    with translation.override("ru"):
        confirm_address = reverse("admin:blocs_country_process_import")
    done = curator_client.post(confirm_address, form.initial, follow=True)
    shown = text_of(html.unescape(done.content.decode()))
    assert "Импорт («страны»): новых — 1, изменённых — 0, без изменений — 0." in shown
