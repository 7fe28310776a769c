"""The admin's import and export forms as a curator uses them: upload, preview, confirm, export, and what must not change."""

import html

from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blocs.models import Bloc, Country, ImportFile, Membership, Source
from events.models import Event
from exchange.dumping import dump

CSV, XLSX = "0", "1"  # positions of the import formats in the admin's format list


EXPORT_CSV, EXPORT_XLSX = "0", "1"


HISTORY = [Source, Country, Bloc, Membership, Event]


def url(app, model, view):
    return reverse(f"admin:{app}_{model}_{view}")


def snapshot():
    """Everything a curator or a reader could see: the records by natural key, their history and the admin log."""
    return {
        "records": dump(),
        "history": [m.history.count() for m in HISTORY],
        "log": LogEntry.objects.count(),
        "kept files": ImportFile.objects.count(),
    }


def export(client, app, model, fmt=EXPORT_CSV, query=""):
    response = client.post(url(app, model, "export") + query, {"format": fmt, "resource": "0", **fields(app, model)})
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content, response


def fields(app, model):
    """Tick every column on the export form, as a curator who leaves the form as it is."""
    from django.contrib.admin import site

    resource = next(a.resource_classes[0] for m, a in site._registry.items() if m._meta.model_name == model)
    return {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}


def upload(client, app, model, content, name="data.csv", fmt=CSV):
    upload = SimpleUploadedFile(name, content)
    return client.post(url(app, model, "import"), {"import_file": upload, "format": fmt, "resource": "0"})


def confirm(client, app, model, preview):
    form = preview.context["confirm_form"]
    assert form is not None, problems(preview)
    return client.post(url(app, model, "process_import"), form.initial, follow=True)


def import_file(client, app, model, content, name="data.csv", fmt=CSV):
    preview = upload(client, app, model, content, name, fmt)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context and preview.context["confirm_form"], problems(preview)
    return preview, confirm(client, app, model, preview)


def problems(response):
    result = response.context.get("result") if response.context else None
    form = response.context.get("form") if response.context else None
    return {"problems": getattr(result, "problems", None), "form": form.errors if form is not None else None}


def assert_refused(client, app, model, content, *expected, name="data.csv", fmt=CSV):
    before = snapshot()
    response = upload(client, app, model, content, name, fmt)
    assert response.status_code == 200
    assert not response.context.get("confirm_form")
    page = html.unescape(response.content.decode())
    for text in expected:
        assert text in page, (text, problems(response))
    assert snapshot() == before
    return response
