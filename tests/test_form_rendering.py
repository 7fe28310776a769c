"""Widgets drawn from Django's compiled Jinja2 templates, the admin's own from the template language."""

import html
import re

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template import TemplateDoesNotExist
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as JinjaTemplate
from django.urls import reverse

from eurasia.form_rendering import CompiledFormRenderer

from .conftest import make_bloc


def test_the_project_draws_its_forms_with_it():
    assert isinstance(get_default_renderer(), CompiledFormRenderer)


def test_django_widgets_come_from_jinja2_and_the_admins_own_from_the_template_language():
    renderer = CompiledFormRenderer()
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), JinjaTemplate)
    assert isinstance(renderer.get_template("django/forms/errors/list/ul.html"), JinjaTemplate)
    assert isinstance(renderer.get_template("admin/widgets/related_widget_wrapper.html"), DjangoTemplate)
    with pytest.raises(TemplateDoesNotExist):
        renderer.get_template("django/forms/widgets/no-such-widget.html")


class Everything(forms.Form):
    name = forms.CharField(initial='Bloc "one" <b>')
    kind = forms.ChoiceField(choices=[("a", "Alliance & co"), ("b", "<script>x</script>")], initial="b")
    day = forms.DateField(widget=AdminDateWidget)
    agreed = forms.BooleanField()
    notes = forms.CharField(widget=forms.Textarea, initial="it's <i>")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="7")


def drawn(renderer, data=None):
    form = Everything(data, renderer=renderer)
    return str(form)


def same_markup(page):
    """The page as a browser reads it: whitespace between tags and the spelling of escapes aside."""
    return re.sub(r">\s+<", "><", html.unescape(page)).strip()


@pytest.mark.parametrize("data", [None, {"name": "", "kind": "zz", "day": "soon"}])
def test_a_form_draws_as_the_template_language_draws_it(data):
    compiled = drawn(CompiledFormRenderer(), data)
    assert same_markup(compiled) == same_markup(drawn(DjangoTemplates(), data))
    # Every value is escaped: no markup of the record's own reaches the page.
    assert "<script>" not in compiled and "<b>" not in compiled and "<i>" not in compiled
    if data:
        assert "Enter a valid date." in compiled and "Select a valid choice." in compiled


@pytest.mark.django_db
def test_a_change_form_with_its_inline_spells_is_drawn_whole(curator_client):
    bloc = make_bloc(name="Pact of <Tests>")
    page = curator_client.get(reverse("admin:blocs_bloc_change", args=[bloc.pk])).content.decode()
    assert 'name="name" value="Pact of &lt;Tests&gt;"' in page
    # The admin's wrapper around a related field, from the template language, holds its select.
    assert re.search(r'<div class="related-widget-wrapper"[^>]*>\s*<select name="parent"', page)
    assert 'id="memberships-empty"' in page  # the row the "add another" button copies
