"""Template helpers for the history pages: partial dates with their precision, sources as links."""

import calendar
import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from blocs.models import Rank, Role
from eurasia.languages import in_language, missing_translation, russian_page
from eurasia.partial_dates import RUSSIAN_MONTHS_GENITIVE, PartialDate, Precision
from public.links import url_for
from public.svg import SUSPENSION_STYLE

register = template.Library()


@register.filter
def href(obj):
    """`{{ bloc|href }}`: the page of a bloc, a country or an event, as get_absolute_url gives it."""
    return url_for(obj)


LOCAL_FIELDS = {"name": "name_ru", "title": "title_ru", "description": "description_ru"}


@register.filter
def local(obj, name):
    """`{{ bloc|local:"name" }}`: the Russian text on Russian pages; the English one, marked, when there is none."""
    english, russian = getattr(obj, name), getattr(obj, LOCAL_FIELDS[name])
    if missing_translation(english, russian):
        return format_html(
            '<span lang="en" class="in-english">{}</span> <small>({})</small>',
            english,
            gettext("in English"),
        )
    return in_language(english, russian)


@register.filter
def local_text(obj, name):
    """`{{ event|local_text:"description" }}`: as `local`, for a text of paragraphs."""
    english, russian = getattr(obj, name), getattr(obj, LOCAL_FIELDS[name])
    if missing_translation(english, russian):
        return format_html(
            '<div lang="en" class="in-english">{}</div><p class="in-english-mark">({})</p>',
            linebreaks(english, autoescape=True),
            gettext("in English"),
        )
    return linebreaks(in_language(english, russian), autoescape=True)


@register.filter
def partial_date(obj, name):
    """`{{ membership|partial_date:"start" }}`: the date as precise as the sources give it, in a <time>."""
    value = obj.partial_date(name) if obj is not None else None
    if value is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.iso, str(value))


@register.filter
def day(value):
    """`{{ when|day }}`: a whole date as the page's language writes it, "15 May 1992" or "15 мая 1992 г."."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return str(PartialDate(value, Precision.DAY))


@register.filter
def when(event):
    """An event's date, or its span of dates, each with its precision: "19–20 September 2023"."""
    start, end = event.partial_date("date"), event.partial_date("end_date")
    if end is None:
        return partial_date(event, "date")
    if start.precision == end.precision == Precision.DAY and start.date.year == end.date.year:
        a, b = start.date, end.date
        month = RUSSIAN_MONTHS_GENITIVE[a.month - 1] if russian_page() else calendar.month_name[a.month]
        first = f"{a.day}" if a.month == b.month else f"{a.day} {month}"
        separator = "–" if a.month == b.month else " – "
        return format_html(
            '<time datetime="{}">{}</time>{}<time datetime="{}">{}</time>', start.iso, first, separator, end.iso, end
        )
    return format_html("{} – {}", partial_date(event, "date"), partial_date(event, "end_date"))


@register.simple_tag
def sources(items, full=False):
    """Each source as a link to where it can be read, or by its key when no address is recorded.

    Compact lists (in tables) show the key as a citation mark with the title on hover; `full=True`
    writes out title, publisher and date.
    """
    items = list(items)
    if not items:
        return format_html('<span class="no-sources">{}</span>', gettext("no source recorded"))
    css = "sources full" if full else "sources"
    rows = ((citation(s) if full else source_link(s, s.key),) for s in items)
    return format_html('<ul class="{}">{}</ul>', css, format_html_join("", "<li>{}</li>", rows))


def describe(source):
    published = source.partial_date("published")
    return " · ".join(str(part) for part in (source.title, source.publisher, published) if part)


def source_link(source, label):
    # Only web addresses become links: a stray "javascript:" value stays inert text.
    if source.url.lower().startswith(("https://", "http://")):
        return format_html(
            '<a href="{}" rel="noopener external" title="{}">{}</a>', source.url, describe(source), label
        )
    hint = describe(source)
    hint = gettext("%(source)s (no address recorded)") % {"source": hint} if hint else gettext("no address recorded")
    return format_html('<span class="source-key" title="{}">{}</span>', hint, label)


def citation(source):
    details = " · ".join(
        str(part) for part in (source.publisher, source.partial_date("published"), source.kind) if part
    )
    return format_html(
        '{} <span class="cite-details">{}</span> <span class="source-key">[{}]</span>',
        source_link(source, source.title or source.key),
        details,
        source.key,
    )


@register.simple_tag
def spell_rows(spells, by, with_earlier=False):
    """The rows of a spells table, one per spell.

    Built in Python rather than in a template loop: a large bloc has a thousand spells, and the
    template engine would spend seconds on them.
    """
    rows = [spell_row(m, by, with_earlier) for m in spells]
    if not rows:
        return format_html('<tr><td colspan="6">{}</td></tr>', gettext("No membership spells are recorded."))
    return mark_safe("".join(rows))


def spell_row(m, by, with_earlier):
    flags = (
        "has-suspension" if m.suspension_start else "",
        "" if m.end else "ongoing",
        "disputed" if disputes(m) else "",
    )
    classes = " ".join(c for c in flags if c)
    if by == "bloc":
        head = format_html('<a href="{}">{}</a>', url_for(m.bloc), m.bloc.short_name)
    else:
        head = format_html('<a href="{}">{}</a>', url_for(m.country), local(m.country, "name"))
    bloc = (
        format_html('<td data-label="{}"><a href="{}">{}</a></td>', gettext("Bloc"), url_for(m.bloc), m.bloc.short_name)
        if with_earlier
        else ""
    )
    if m.end:
        reason = format_html('<span class="reason">{}</span>', m.get_end_reason_display()) if m.end_reason else ""
        end = format_html("{}{}", partial_date(m, "end"), reason)
    else:
        end = format_html('<span class="continues">{}</span>', gettext("continues"))
    end = format_html("{}{}", end, dispute_details(m, "end"))
    if m.suspension_start:
        until = format_html(" {} {}", gettext("until"), partial_date(m, "suspension_end")) if m.suspension_end else ""
        suspension = format_html(
            '{} {} {}{} <span class="kind">{}</span>{}{}',
            suspension_badge(m),
            gettext("from"),
            partial_date(m, "suspension_start"),
            until,
            m.get_suspension_kind_display() or gettext("kind not recorded"),
            dispute_details(m, "suspension_start"),
            dispute_details(m, "suspension_end"),
        )
    else:
        suspension = format_html('<span class="none">—</span>{}', dispute_details(m, "suspension_start"))
    notes = (
        format_html(
            '<details class="note"><summary>{}</summary>{}</details>',
            gettext("Notes"),
            linebreaks(m.notes, autoescape=True),
        )
        if m.notes
        else ""
    )
    return format_html(
        '<tr class="{}"><th scope="row">{}</th>{}'
        '<td data-label="{}"><span class="role-chip role-{}">{}</span></td>'
        '<td class="date" data-label="{}">{}</td>'
        '<td class="date" data-label="{}">{}</td>'
        '<td{} class="suspension-cell{}">{}</td>'
        '<td data-label="{}">{}{}{}</td></tr>',
        classes,
        head,
        bloc,
        gettext("Role"),
        m.role,
        m.get_role_display(),
        gettext("Start"),
        format_html("{}{}", partial_date(m, "start"), dispute_details(m, "start")),
        gettext("End"),
        end,
        # An empty cell is not shown when the table is stacked (site.css), so it needs no label.
        format_html(' data-label="{}"', gettext("Suspension")) if m.suspension_start else "",
        "" if m.suspension_start else " empty-cell",
        suspension,
        gettext("Sources"),
        sources(m.cited if hasattr(m, "cited") else m.sources.all()),
        notes,
        suggest_link(m),
    )


def suggest_link(spell):
    """The spell's "Suggest a correction" link; the corrections app is named by its URLs only."""
    return format_html(
        '<a class="suggest-row" href="{}" title="{}">{}</a>',
        reverse("corrections:suggest", args=["spell", spell.pk]),
        gettext("Suggest a correction to this spell"),
        gettext("Suggest a correction"),
    )


UNCERTAIN_TITLE = {
    Precision.MONTH: lambda: gettext("The date is known only to the month"),
    Precision.YEAR: lambda: gettext("The date is known only to the year"),
    Precision.DAY: lambda: gettext("The date is known to the day"),
}


@register.simple_tag
def member_rows(members):
    """The rows of a bloc's members on a date (the /on/ page), one per spell in force.

    In Python for the reason given at spell_rows: a page of twenty large blocs lists thousands.
    Each spell carries `is_suspended` (from active_on) and `uncertain` (set by the view).
    """
    return mark_safe("".join(member_row(m) for m in members))


def member_row(m):
    if m.is_suspended:
        status = format_html(
            '{} {} {} <span class="kind">{}</span>',
            suspension_badge(m),
            gettext("since"),
            partial_date(m, "suspension_start"),
            m.get_suspension_kind_display() or gettext("kind not recorded"),
        )
    else:
        status = gettext("in good standing")
    uncertain = (
        format_html(
            '<span class="uncertain" title="{}">{}</span>',
            UNCERTAIN_TITLE[m.uncertain.precision](),
            gettext("uncertain: a date of this spell is known only as %(date)s") % {"date": m.uncertain},
        )
        if m.uncertain
        else ""
    )
    return format_html(
        '<tr{}><th scope="row"><a href="{}">{}</a></th>'
        '<td data-label="{}"><span class="role-chip role-{}">{}</span></td>'
        '<td data-label="{}" class="status-cell">{} {}</td>'
        '<td class="date" data-label="{}">{} – {}</td>'
        '<td data-label="{}">{}</td></tr>',
        mark_safe(' class="is-suspended"') if m.is_suspended else "",
        url_for(m.country),
        local(m.country, "name"),
        gettext("Role"),
        m.role,
        m.get_role_display(),
        gettext("Status"),
        status,
        uncertain,
        gettext("Spell"),
        partial_date(m, "start"),
        partial_date(m, "end") if m.end else gettext("today"),
        gettext("Sources"),
        sources(m.cited),
    )


@register.simple_tag
def role_badges(m):
    """A spell's role, when not a member's, and its suspension on the page's day (`m.is_suspended`, as
    Membership.objects.active_on annotates it), as short labels."""
    role = format_html('<span class="badge role role-{}">{}</span>', m.role, m.get_role_display())
    if not m.is_suspended:
        return role if m.role != Role.MEMBER else ""
    suspended = suspension_badge(m, titled=True)
    return role + suspended if m.role != Role.MEMBER else suspended


@register.simple_tag
def bloc_chips(country):
    """The blocs a country is in today, as chips, and how many more: its `current` spells and `more_now`.

    Built in Python rather than in a template loop: the countries page has a chip for each of up to
    eight blocs of each country, 2,000 at the full world, and the template engine spent 0.4 s on them.
    """
    if not country.current:
        return format_html('<span class="muted">{}</span>', gettext("none"))
    chips = format_html_join(
        "",
        '<span class="chip"><a href="{}">{}</a>{}</span>',
        ((url_for(m.bloc), m.bloc.short_name, role_badges(m)) for m in country.current),
    )
    if not country.more_now:
        return chips
    more = gettext("and %(more)s more") % {"more": country.more_now}
    return chips + format_html(' <a class="more-chip" href="{}">{}</a>', url_for(country), more)


@register.simple_tag
def suspension_badge(m, titled=False):
    """ "suspended" or "self-suspended", in the colours of its kind; `titled`, with the kind in words."""
    kind = m.suspension_kind
    words = SUSPENSION_STYLE.get(kind, SUSPENSION_STYLE[""])["short"]
    if not titled:
        return format_html('<span class="badge suspended {}">{}</span>', kind or "unknown", words)
    title = m.get_suspension_kind_display() if kind else gettext("kind of suspension not recorded")
    return format_html('<span class="badge suspended {}" title="{}">{}</span>', kind or "unknown", title, words)


# Disputed dates -----------------------------------------------------------------------------------

RANK_WORDS = {
    Rank.PREFERRED: gettext_lazy("preferred: the date the record uses"),
    Rank.ALTERNATIVE: gettext_lazy("alternative"),
    Rank.DEPRECATED: gettext_lazy("refuted"),
}


def disputes(record):
    """{field: [claims]} for each of the record's dates with a claim other than the preferred one."""
    claims = getattr(record, "claims_shown", None)
    if not claims:
        return {}
    by_field = {}
    for claim in claims:
        by_field.setdefault(claim.field, []).append(claim)
    return {field: found for field, found in by_field.items() if any(c.rank != Rank.PREFERRED for c in found)}


def claim_item(claim):
    value = claim.value_text
    shown = format_html("<del>{}</del>", value) if claim.rank == Rank.DEPRECATED else value
    reading = format_html(' <span class="claim-reading">({})</span>', claim.reading.name) if claim.reading else ""
    reason = format_html(' <span class="claim-reason">{}</span>', claim.reason) if claim.reason else ""
    return format_html(
        '<li class="claim rank-{}"><span class="claim-value">{}</span> <span class="claim-rank">{}</span>{}{} {}</li>',
        claim.rank,
        shown,
        RANK_WORDS[claim.rank],
        reading,
        reason,
        sources(claim.cited),
    )


@register.simple_tag
def dispute_details(record, field):
    """The claims about one of the record's dates, behind a "disputed" mark; empty when the date is settled."""
    claims = disputes(record).get(field)
    if not claims:
        return ""
    return format_html(
        '<details class="dispute"><summary title="{}"><span class="dispute-mark" aria-hidden="true">⚑</span> {}</summary>'
        '<ul class="claims">{}</ul></details>',
        gettext("The sources disagree on this date: what each says"),
        gettext("disputed"),
        format_html_join("", "{}", ((claim_item(c),) for c in claims)),
    )
