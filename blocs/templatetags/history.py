"""Template helpers for the history pages: partial dates with their precision, sources as links."""

import calendar

from django import template
from django.utils.html import format_html, format_html_join

from blocs.links import url_for
from eurasia.partial_dates import Precision

register = template.Library()


@register.filter
def href(obj):
    """`{{ bloc|href }}`: the page of a bloc, a country or an event, as get_absolute_url gives it."""
    return url_for(obj)


@register.filter
def partial(obj, name):
    """`{{ membership|partial:"start" }}`: the date as precise as the sources give it, in a <time>."""
    value = obj.partial(name) if obj is not None else None
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.iso, str(value))


@register.filter
def when(event):
    """An event's date, or its span of dates, each with its precision: "19–20 September 2023"."""
    start, end = event.partial("date"), event.partial("end_date")
    if end is None:
        return partial(event, "date")
    if start.precision == end.precision == Precision.DAY and start.date.year == end.date.year:
        a, b = start.date, end.date
        first = f"{a.day}" if a.month == b.month else f"{a.day} {calendar.month_name[a.month]}"
        separator = "–" if a.month == b.month else " – "
        return format_html(
            '<time datetime="{}">{}</time>{}<time datetime="{}">{}</time>', start.iso, first, separator, end.iso, end
        )
    return format_html("{} – {}", partial(event, "date"), partial(event, "end_date"))


@register.simple_tag
def sources(items, full=False):
    """Each source as a link to where it can be read, or by its key when no address is recorded.

    Compact lists (in tables) show the key as a citation mark with the title on hover; `full=True`
    writes out title, publisher and date.
    """
    items = list(items)
    if not items:
        return format_html('<span class="no-sources">{}</span>', "no source recorded")
    css = "sources full" if full else "sources"
    rows = ((citation(s) if full else source_link(s, s.key),) for s in items)
    return format_html('<ul class="{}">{}</ul>', css, format_html_join("", "<li>{}</li>", rows))


def describe(source):
    published = source.partial("published")
    return " · ".join(str(part) for part in (source.title, source.publisher, published) if part)


def source_link(source, label):
    # Only web addresses become links: a stray "javascript:" value stays inert text.
    if source.url.lower().startswith(("https://", "http://")):
        return format_html(
            '<a href="{}" rel="noopener external" title="{}">{}</a>', source.url, describe(source), label
        )
    hint = describe(source)
    hint = f"{hint} (no address recorded)" if hint else "no address recorded"
    return format_html('<span class="source-key" title="{}">{}</span>', hint, label)


def citation(source):
    details = " · ".join(str(part) for part in (source.publisher, source.partial("published"), source.kind) if part)
    return format_html(
        '{} <span class="cite-details">{}</span> <span class="source-key">[{}]</span>',
        source_link(source, source.title or source.key),
        details,
        source.key,
    )
