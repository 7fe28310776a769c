"""Forms drawn with Django's own Jinja2 widget templates, compiled, where the admin draws hundreds of them.

A change form with its inline spells draws about 2,000 small templates per page (an input, its
attributes, each option of each drop-down, each empty error list). Through the template language
each costs tens of microseconds of context pushing and variable resolving; Django ships the same
templates for Jinja2 (django/forms/jinja2/), which compiles them to Python functions. Drawn with
them, the busiest country's change form takes 0.64x the time (docs/performance.md).

The admin's own widget templates (the related-field wrapper with its add and change links, the
split date and time) exist only in the template language, so a template Jinja2 does not have is
looked up there, as Django's default renderer would.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class CompiledFormRenderer(BaseRenderer):
    """Jinja2 for every template Django ships for it; the Django template language for the rest."""

    def __init__(self):
        self.compiled = Jinja2()
        self.fallback = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.compiled.get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
