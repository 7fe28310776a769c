"""SVG charts drawn on the server: membership timelines, the blocs' own timeline, events per year.

The region map is in maps.py; both are drawn with the pieces in svg.py.

Each function returns one self-contained <svg> (title, description, legend, role="img") as a safe
string. Nothing is fetched or computed in the browser: the charts print, and the page shows the
same data as a table for readers who cannot see them.
"""

import datetime
from dataclasses import dataclass, field
from html import escape

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blocs.models import BlocKind, Role, SuspensionKind
from eurasia.partial_dates import PartialDate, Precision

from .svg import (
    BAR,
    EARLIER_COLOUR,
    GRID,
    KIND_COLOUR,
    LABEL_WIDTH,
    MUTED,
    ONE_DAY,
    RIGHT_PAD,
    ROLE_STYLE,
    ROW,
    SUSPENSION_STYLE,
    WIDTH,
    Defs,
    TimeScale,
    domain,
    el,
    fork,
    legend,
    num,
    svg_root,
    swatch_diamond,
    swatch_fill,
    swatch_fork,
    swatch_line,
    swatch_ongoing,
    swatch_uncertain,
    text,
    uncertain_span,
)


@dataclass
class Spell:
    """One membership as drawn: its dates with their precision, role and suspension."""

    role: str
    start: PartialDate
    end: PartialDate | None = None
    suspension_start: PartialDate | None = None
    suspension_end: PartialDate | None = None
    suspension_kind: str = ""
    tooltip: str = ""
    earlier: str = ""  # the predecessor bloc it was in, when drawn on its successor's chart
    disputed: tuple = ()  # the dates the sources disagree on ("start", "end"), drawn forked

    @classmethod
    def of(cls, membership, who, earlier="", disputed=()):
        m = membership
        spell = cls(
            role=m.role,
            start=m.partial_date("start"),
            end=m.partial_date("end"),
            suspension_start=m.partial_date("suspension_start"),
            suspension_end=m.partial_date("suspension_end"),
            suspension_kind=m.suspension_kind,
            earlier=earlier,
            disputed=tuple(disputed),
        )
        spell.tooltip = spell.describe(who, m.get_role_display(), m.get_end_reason_display())
        if spell.disputed:
            dates = ", ".join(str(m._meta.get_field(name).verbose_name) for name in spell.disputed)
            spell.tooltip += f" ({gettext('disputed')}: {dates})"
        return spell

    def describe(self, who, role_label, end_reason):
        words = f"{who}: {role_label}, {self.start} – {self.end or gettext('present')}"
        if self.end and end_reason:
            words += f" ({end_reason})"
        if self.suspension_start:
            kind = SUSPENSION_STYLE.get(self.suspension_kind, SUSPENSION_STYLE[""])["label"]
            until = f" {gettext('until')} {self.suspension_end}" if self.suspension_end else ""
            words += f"; {kind} {gettext('from')} {self.suspension_start}{until}"
        return words


@dataclass
class TimelineRow:
    label: str
    href: str = ""
    spells: list = field(default_factory=list)


@dataclass
class Marker:
    """An event on the timeline's bottom row."""

    day: datetime.date
    label: str
    href: str
    kind: str = ""

    @property
    def group(self):
        return next((name for name, (kinds, _, _) in MARKER_GROUPS.items() if self.kind in kinds), "other")


# Events on a timeline, coloured by what they did to the membership.
MARKER_GROUPS = {
    "break": ({"suspension", "withdrawal", "crisis"}, "#b3261e", _("suspension, withdrawal or crisis")),
    "join": ({"accession", "treaty_signed"}, "#2f7d45", _("treaty or accession")),
    "other": (set(), "#4a5561", _("other event")),
}


def membership_timeline(rows, *, title, desc, today, prefix, markers=(), band=None, band_label="", earlier_label=""):
    """One row per country (or per bloc), one bar per spell.

    `band` is an optional (first, last) pair of partial dates drawn behind the rows, such as the
    life of the bloc; `markers` are events drawn as diamonds on a row of their own.
    """
    defs = Defs(prefix)
    dates = [today]
    for row in rows:
        for s in row.spells:
            dates += [s.start.date, s.end and s.end.last_day]
    if band and band[0]:
        dates.append(band[0].date)
    dates += [m.day for m in markers]
    first, last = domain(dates, today)
    scale = TimeScale(first, last, LABEL_WIDTH, WIDTH - RIGHT_PAD)

    roles = sorted({s.role for row in rows for s in row.spells if not s.earlier}, key=list(ROLE_STYLE).index)
    kinds = sorted({s.suspension_kind for row in rows for s in row.spells if s.suspension_start})
    uncertain = any(p and p.precision != Precision.DAY for row in rows for s in row.spells for p in (s.start, s.end))
    ongoing = any(s.end is None for row in rows for s in row.spells)
    items = [(swatch_fill(defs.role_fill(r), ROLE_STYLE[r]["colour"]), ROLE_STYLE[r]["label"]) for r in roles]
    if any(s.earlier for row in rows for s in row.spells):
        items.append((swatch_fill(EARLIER_COLOUR), earlier_label or gettext("in an earlier bloc")))
    items += [
        (swatch_fill(defs.suspension_fill(k), SUSPENSION_STYLE[k]["colour"]), SUSPENSION_STYLE[k]["label"])
        for k in kinds
    ]
    if uncertain:
        items.append(
            (swatch_uncertain(defs, ROLE_STYLE[Role.MEMBER]["colour"]), gettext("date known only to the month or year"))
        )
    if ongoing:
        items.append((swatch_ongoing(ROLE_STYLE[Role.MEMBER]["colour"]), gettext("continues today")))
    if any(s.disputed for row in rows for s in row.spells):
        items.append((swatch_fork(), gettext("date disputed: the sources differ")))
    groups = {m.group for m in markers}
    items += [(swatch_diamond(colour), label) for name, (_, colour, label) in MARKER_GROUPS.items() if name in groups]
    legend_svg, legend_height = legend(items, 4)

    axis_y = legend_height + 26
    top = axis_y + 10
    rows_height = len(rows) * ROW
    marker_height = ROW + 6 if markers else 0
    bottom = top + rows_height + marker_height
    height = bottom + (28 if len(rows) > 12 else 8)

    body = [legend_svg]
    for i, _row in enumerate(rows):
        if i % 2 == 0:
            body.append(el("rect", x="0", y=num(top + i * ROW), width=str(WIDTH), height=str(ROW), fill="#f6f8fa"))
    if band and band[0]:
        body.append(band_svg(scale, band, band_label, top, bottom))
    body.append(axis(scale, axis_y, top, bottom, below=len(rows) > 12))
    for i, row in enumerate(rows):
        y = top + i * ROW
        body.append(row_label(row.label, row.href, y))
        for spell in row.spells:
            body.append(spell_bar(spell, scale, y + (ROW - BAR) / 2, defs, today))
    if markers:
        body.append(marker_row(markers, scale, top + rows_height + 6))
    body.append(today_line(scale, today, axis_y, bottom))
    return svg_root(prefix, WIDTH, height, title, desc, defs.render() + "".join(body), "chart timeline")


def row_label(label, href, y):
    # Links inside the chart are a convenience for pointer users; the table below carries the same
    # links for keyboard and screen-reader users, so the chart's links stay out of the tab order.
    label = label if len(label) <= 24 else label[:23] + "…"
    content = text(LABEL_WIDTH - 10, y + ROW / 2 + 4.5, label, text_anchor="end", class_="row-label")
    if href:
        return el("a", content, href=href, tabindex="-1")
    return content


def axis(scale, y, top, bottom, below=False):
    out = []
    for tick in scale.years():
        x = scale(tick)
        out.append(el("line", x1=num(x), x2=num(x), y1=num(top - 4), y2=num(bottom), stroke=GRID))
        out.append(text(x, y, str(tick.year), text_anchor="middle", fill=MUTED, font_size="12"))
        if below:
            out.append(text(x, bottom + 18, str(tick.year), text_anchor="middle", fill=MUTED, font_size="12"))
    return "".join(out)


def band_svg(scale, band, label, top, bottom):
    first, last = band
    x0 = scale(first.date)
    x1 = scale(last.date) if last else scale.right
    out = el("rect", x=num(x0), y=num(top), width=num(max(x1 - x0, 1)), height=num(bottom - top), fill="#fbf6ea")
    out += el("line", x1=num(x0), x2=num(x0), y1=num(top - 8), y2=num(bottom), stroke="#c9a85a", stroke_width="1.5")
    if label:
        out += el("title", escape(label))
    return el("g", out, class_="band")


def today_line(scale, today, y, bottom):
    x = scale(today)
    return el(
        "g",
        el("line", x1=num(x), x2=num(x), y1=num(y + 6), y2=num(bottom), stroke="#333", stroke_dasharray="4 3")
        + text(x + 4, y - 0, "today", fill="#333", font_size="11", font_style="italic"),
        class_="today",
    )


def spell_bar(spell, scale, y, defs, today):
    style = ROLE_STYLE.get(spell.role, ROLE_STYLE[Role.MEMBER])
    if spell.earlier:
        style = {"colour": EARLIER_COLOUR, "pattern": None, "label": spell.earlier}
    colour = style["colour"]
    start_lo, start_hi = uncertain_span(spell.start)
    if spell.start.precision == Precision.DAY:
        start_hi = start_lo
    if spell.end:
        end_lo, end_hi = uncertain_span(spell.end)
        if spell.end.precision == Precision.DAY:
            end_hi = end_lo
    else:
        end_lo = end_hi = max(today, start_hi)

    out = []
    x_solid0, x_solid1 = scale(start_hi), scale(end_lo)
    if x_solid1 - x_solid0 > 0.3:
        out.append(
            el(
                "rect",
                x=num(x_solid0),
                y=num(y),
                width=num(max(x_solid1 - x_solid0, 1.5)),
                height=str(BAR),
                fill=colour if spell.earlier else defs.role_fill(spell.role),
                stroke=colour if style["pattern"] else None,
                stroke_width="1",
            )
        )
    for lo, hi, direction in ((start_lo, min(start_hi, end_hi), "in"), (max(end_lo, start_lo), end_hi, "out")):
        if hi > lo:
            x0, x1 = scale(lo), scale(hi)
            out.append(
                el(
                    "rect",
                    x=num(x0),
                    y=num(y),
                    width=num(max(x1 - x0, 1.5)),
                    height=str(BAR),
                    fill=defs.fade(colour, direction),
                )
            )
            out.append(
                el(
                    "rect",
                    x=num(x0),
                    y=num(y),
                    width=num(max(x1 - x0, 1.5)),
                    height=str(BAR),
                    fill="none",
                    stroke=colour,
                    stroke_dasharray="3 2",
                    stroke_width="1",
                )
            )
    if not out:  # a spell too short to see at this scale still shows
        out.append(el("rect", x=num(scale(start_lo)), y=num(y), width="2", height=str(BAR), fill=colour))
    if spell.end is None:
        x = scale(end_lo)
        out.append(el("path", d=f"M{x:.1f},{y - 2:.1f} l9,{BAR / 2 + 2:.1f} l-9,{BAR / 2 + 2:.1f} z", fill=colour))
    if "start" in spell.disputed:
        out.append(fork(scale(start_lo), y, BAR, -1))
    if "end" in spell.disputed:
        out.append(fork(scale(end_hi) + (10 if spell.end is None else 0), y, BAR, 1))

    if spell.suspension_start:
        kind_style = SUSPENSION_STYLE.get(spell.suspension_kind, SUSPENSION_STYLE[""])
        s0 = spell.suspension_start.date
        s1 = spell.suspension_end.date if spell.suspension_end else (spell.end.date if spell.end else end_lo)
        x0, x1 = scale(s0), scale(max(s1, s0 + ONE_DAY))
        out.append(
            el(
                "rect",
                x=num(x0),
                y=num(y - 2),
                width=num(max(x1 - x0, 3)),
                height=str(BAR + 4),
                fill=defs.suspension_fill(spell.suspension_kind),
                stroke=kind_style["colour"],
                stroke_width="1.5",
                stroke_dasharray="5 2" if spell.suspension_kind == SuspensionKind.SELF_DECLARED else None,
            )
        )
        if x1 - x0 > len(kind_style["short"]) * 6.6 + 8:
            out.append(halo_text((x0 + x1) / 2, y + BAR / 2 + 4, kind_style["short"], kind_style["colour"]))

    width = scale(end_hi) - scale(start_lo)
    if spell.earlier and width > len(spell.earlier) * 7 + 10:
        out.append(
            text(
                (scale(start_lo) + scale(end_hi)) / 2,
                y + BAR / 2 + 4,
                spell.earlier,
                text_anchor="middle",
                fill="#fff",
                font_size="11.5",
                font_weight="600",
            )
        )
    elif spell.role != Role.MEMBER and width > len(style["label"]) * 6.6 + 10:
        covered = spell.suspension_start is not None
        if not covered:
            out.append(halo_text((scale(start_lo) + scale(end_hi)) / 2, y + BAR / 2 + 4, style["label"], colour))
    out.append(el("title", escape(spell.tooltip)))
    return el("g", "".join(out), class_=f"spell role-{spell.role}")


def halo_text(x, y, content, colour):
    return text(
        x,
        y,
        content,
        text_anchor="middle",
        font_size="11.5",
        font_weight="600",
        fill=colour,
        stroke="#fff",
        stroke_width="3",
        paint_order="stroke",
        stroke_linejoin="round",
    )


def marker_row(markers, scale, y):
    out = [text(LABEL_WIDTH - 10, y + ROW / 2 + 4.5, "Events", text_anchor="end", fill=MUTED, font_style="italic")]
    mid = y + ROW / 2
    out.append(el("line", x1=str(LABEL_WIDTH), x2=num(scale.right), y1=num(mid), y2=num(mid), stroke="#cfd6de"))
    for m in markers:
        x = scale(m.day)
        colour = MARKER_GROUPS[m.group][1]
        diamond = el("path", d=f"M{x:.1f},{mid - 7:.1f} l6,7 l-6,7 l-6,-7 z", fill=colour, fill_opacity="0.8")
        out.append(el("a", diamond + el("title", escape(m.label)), href=m.href, tabindex="-1", class_="marker"))
    return "".join(out)


# The blocs' own timeline ------------------------------------------------------------------------


@dataclass
class BlocRow:
    label: str
    href: str
    kind: str
    founded: PartialDate | None
    dissolved: PartialDate | None
    members_now: int | None = None
    child: bool = False
    tooltip: str = ""
    key: int = 0


def blocs_timeline(rows, successions, *, today, prefix, title, desc, since=None):
    """One bar per bloc, from founding to dissolution, with arrows from each bloc to its successors.

    With `since`, the chart starts then: an older bloc (NATO, 1949) runs in from the left edge.
    """
    defs = Defs(prefix)
    dates = [r.founded.date for r in rows if r.founded] + [r.dissolved.last_day for r in rows if r.dissolved]
    if since:
        dates = [max(d, since) for d in dates]
    first, last = domain(dates, today)
    scale = TimeScale(first, last, LABEL_WIDTH, WIDTH - RIGHT_PAD)

    kinds = [k for k in KIND_COLOUR if any(r.kind == k for r in rows)]
    items = [(swatch_fill(KIND_COLOUR[k]), BlocKind(k).label) for k in kinds]
    if any(p and p.precision != Precision.DAY for r in rows for p in (r.founded, r.dissolved)):
        items.append((swatch_uncertain(defs, MUTED), gettext("date known only to the month or year")))
    if any(r.dissolved is None for r in rows):
        items.append((swatch_ongoing(MUTED), gettext("exists today")))
    if successions:
        items.append((swatch_line(MUTED, dashed=True), gettext("continued by")))
    legend_svg, legend_height = legend(items, 4)

    axis_y = legend_height + 26
    top = axis_y + 10
    bottom = top + len(rows) * ROW
    height = bottom + (28 if len(rows) > 12 else 8)
    body = [legend_svg]
    for i, _row in enumerate(rows):
        if i % 2 == 0:
            body.append(el("rect", x="0", y=num(top + i * ROW), width=str(WIDTH), height=str(ROW), fill="#f6f8fa"))
    body.append(axis(scale, axis_y, top, bottom, below=len(rows) > 12))

    position = {}
    for i, row in enumerate(rows):
        y = top + i * ROW
        position[row.key] = y + ROW / 2
        label = ("↳ " if row.child else "") + row.label
        body.append(row_label(label, row.href, y))
        body.append(bloc_bar(row, scale, y + (ROW - BAR) / 2, defs, today))

    for predecessor, successor in successions:
        if predecessor.key in position and successor.key in position and successor.founded:
            x = scale(successor.founded.date)
            y0, y1 = position[predecessor.key], position[successor.key]
            y0 += BAR / 2 if y1 > y0 else -BAR / 2
            y1 += -BAR / 2 - 1 if y1 > y0 else BAR / 2 + 1
            body.append(
                el(
                    "path",
                    d=f"M{x - 6:.1f},{y0:.1f} C{x - 6:.1f},{(y0 + y1) / 2:.1f} {x:.1f},{(y0 + y1) / 2:.1f} {x:.1f},{y1:.1f}",
                    fill="none",
                    stroke=MUTED,
                    stroke_width="1.4",
                    stroke_dasharray="4 3",
                    marker_end=defs.arrow(),
                )
            )
    body.append(today_line(scale, today, axis_y, bottom))
    return svg_root(prefix, WIDTH, height, title, desc, defs.render() + "".join(body), "chart timeline blocs-timeline")


def bloc_bar(row, scale, y, defs, today):
    colour = KIND_COLOUR.get(row.kind, KIND_COLOUR[BlocKind.OTHER])
    if row.founded is None:  # nothing to draw honestly; say so in the row
        words = text(
            scale.left + 8, y + BAR / 2 + 4, gettext("founding date not recorded"), fill=MUTED, font_style="italic"
        )
        return el("g", words + el("title", escape(row.tooltip)), class_="bloc-bar")
    spell = Spell(role=Role.MEMBER, start=row.founded, end=row.dissolved)
    out = []
    start_lo, start_hi = uncertain_span(spell.start)
    if spell.start.precision == Precision.DAY:
        start_hi = start_lo
    if spell.end:
        end_lo, end_hi = uncertain_span(spell.end)
        if spell.end.precision == Precision.DAY:
            end_hi = end_lo
    else:
        end_lo = end_hi = max(today, start_hi)
    x0, x1 = scale(start_hi), scale(end_lo)
    if x1 > x0:
        out.append(el("rect", x=num(x0), y=num(y), width=num(max(x1 - x0, 1.5)), height=str(BAR), rx="2", fill=colour))
    for lo, hi, direction in ((start_lo, start_hi, "in"), (end_lo, end_hi, "out")):
        if hi > lo:
            a, b = scale(lo), scale(hi)
            out.append(
                el(
                    "rect",
                    x=num(a),
                    y=num(y),
                    width=num(max(b - a, 1.5)),
                    height=str(BAR),
                    fill=defs.fade(colour, direction),
                )
            )
    if row.dissolved is None:
        x = scale(end_lo)
        out.append(el("path", d=f"M{x:.1f},{y - 2:.1f} l9,{BAR / 2 + 2:.1f} l-9,{BAR / 2 + 2:.1f} z", fill=colour))
    if row.members_now:
        words = ngettext("%(count)d member today", "%(count)d members today", row.members_now) % {
            "count": row.members_now
        }
        if x1 - x0 > len(words) * 6.6 + 12:
            out.append(
                text(
                    x1 - 8, y + BAR / 2 + 4, words, text_anchor="end", fill="#fff", font_size="11.5", font_weight="600"
                )
            )
        else:
            out.append(text(x1 + 14, y + BAR / 2 + 4, words, fill=colour, font_size="11.5", font_weight="600"))
    out.append(el("title", escape(row.tooltip)))
    return el("g", "".join(out), class_="bloc-bar")


# Events per year ---------------------------------------------------------------------------------


# A year's bar, a link to its events, as el() would write it. Two centuries of bars through el()
# took 1.6 ms of each drawing of /events/ (its attributes escaped one by one); one format each, a
# fraction of that.
YEAR_BAR = (
    '<a href="{}" tabindex="-1" class="year-bar">'
    '<rect x="{}" y="{}" width="{}" height="{}" rx="1.5" fill="{}"/><title>{}</title></a>'
)


def events_per_year(counts, *, href, prefix, title, desc):
    """A bar for each year from the first to the last with events; each bar links to that year's events."""
    if not counts:
        return ""
    by_year = dict(counts)
    first, last = min(by_year), max(by_year)
    years = list(range(first, last + 1))
    height, top, bottom = 150, 14, 120
    left, right = 36, WIDTH - 12
    step = (right - left) / len(years)
    most = max(by_year.values())
    out = []
    for tick in nice_ticks(most):
        y = bottom - tick / most * (bottom - top)
        out.append(el("line", x1=num(left), x2=num(right), y1=num(y), y2=num(y), stroke=GRID))
        out.append(text(left - 6, y + 4, str(tick), text_anchor="end", fill=MUTED, font_size="11"))
    label_every = max(1, round(len(years) / 16))
    fill, width = escape(ROLE_STYLE[Role.MEMBER]["colour"]), num(step * 0.76)
    for i, year in enumerate(years):
        x = left + i * step
        n = by_year.get(year, 0)
        if n:
            h = max(n / most * (bottom - top), 2)
            says = ngettext("%(year)d: %(count)d event", "%(year)d: %(count)d events", n) % {"year": year, "count": n}
            out.append(
                YEAR_BAR.format(
                    escape(href(year)), num(x + step * 0.12), num(bottom - h), width, num(h), fill, escape(says)
                )
            )
        if year % label_every == 0 or len(years) == 1:
            out.append(text(x + step / 2, bottom + 16, str(year), text_anchor="middle", fill=MUTED, font_size="11"))
    out.append(el("line", x1=num(left), x2=num(right), y1=num(bottom), y2=num(bottom), stroke="#9aa5b1"))
    return svg_root(prefix, WIDTH, height, title, desc, "".join(out), "chart per-year")


def nice_ticks(most):
    """Two or three round values for the count axis."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 100000):
        if most / step <= 4:
            return list(range(step, most + 1, step))
    return [most]
