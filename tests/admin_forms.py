"""Build the POST data a browser sends for an admin form, so tests change one field at a time."""

from django.urls import reverse


def _add(data, form):
    for field in form:
        value = field.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data[field.html_name] = [str(v) for v in value]
        else:
            data[field.html_name] = str(value)


def form_data(response):
    """Everything the change form in `response` would submit unchanged: main form and inline rows."""
    context = response.context
    data = {}
    _add(data, context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        _add(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _add(data, form)
    return data


def errors(response):
    """The error messages the admin shows on a refused form, as plain strings."""
    found = [str(e) for e in response.context["adminform"].form.non_field_errors()]
    for name, messages in response.context["adminform"].form.errors.items():
        if name != "__all__":
            found += [f"{name}: {m}" for m in messages]
    return found


def membership_form(country, bloc, **kw):
    data = {
        "country": country.pk,
        "bloc": bloc.pk,
        "role": "member",
        "start": "",
        "end": "",
        "end_reason": "",
        "suspension_start": "",
        "suspension_end": "",
        "suspension_kind": "",
        "notes": "",
        "claims-TOTAL_FORMS": "0",
        "claims-INITIAL_FORMS": "0",
    }
    data.update(kw)
    return data


def save_in_admin(client, obj, **changes):
    data = form_data(client.get(change_url(obj)))
    data.update(changes)
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
