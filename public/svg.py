"""The pieces every chart and the map are drawn with: SVG elements, the time scale, patterns, swatches and legends."""

import datetime
from html import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from blocs.models import BlocKind, Role, SuspensionKind

WIDTH = 960
LABEL_WIDTH = 178
RIGHT_PAD = 28
ROW = 30
BAR = 18
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK, MUTED, GRID = "#1f2933", "#5f6b7a", "#e3e7ec"
ONE_DAY = datetime.timedelta(days=1)

# Roles differ by colour and by pattern, so that they stay apart in print and for colour-blind readers.
ROLE_STYLE = {
    Role.MEMBER: {"colour": "#1d5f8a", "pattern": None, "label": _("member")},
    Role.OBSERVER: {"colour": "#5a9fc8", "pattern": "dots", "label": _("observer")},
    Role.ASSOCIATE: {"colour": "#3d8b5a", "pattern": "diagonal", "label": _("associate")},
    Role.CANDIDATE: {"colour": "#c98a1b", "pattern": "stripes", "label": _("candidate / acceding")},
    Role.PARTICIPANT: {"colour": "#7b5ea7", "pattern": "grid", "label": _("participant (non-member)")},
    Role.DIALOGUE_PARTNER: {"colour": "#8a8f3a", "pattern": "dots", "label": _("dialogue partner")},
}
SUSPENSION_STYLE = {
    SuspensionKind.FORMAL: {"colour": "#b3261e", "label": _("suspended by the bloc (formal)"), "short": _("suspended")},
    SuspensionKind.SELF_DECLARED: {
        "colour": "#d46a00",
        "label": _("suspended by the country itself (self-declared)"),
        "short": _("self-suspended"),
    },
    SuspensionKind.DE_FACTO: {
        "colour": "#8c6d1f",
        "label": _("inactive in fact, without any decision"),
        "short": _("inactive"),
    },
    "": {"colour": "#6b6b6b", "label": _("suspended (kind not recorded)"), "short": _("suspended")},
}
EARLIER_COLOUR = "#8d99a6"  # spells in a predecessor bloc, drawn on its successor's chart
KIND_COLOUR = {
    BlocKind.MILITARY_ALLIANCE: "#b5473a",
    BlocKind.CUSTOMS_UNION: "#2f6f9f",
    BlocKind.ECONOMIC_UNION: "#2a8c82",
    BlocKind.POLITICAL: "#7b5ea7",
    BlocKind.OTHER: "#7a7a7a",
}


def attrs(**kw):
    """XML attributes from keyword arguments; a trailing underscore is dropped, other underscores become hyphens."""
    parts = []
    for key, value in kw.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{escape(str(value))}"')
    return " ".join(parts)


def el(name, content="", **kw):
    a = attrs(**kw)
    opening = f"<{name} {a}" if a else f"<{name}"
    return f"{opening}>{content}</{name}>" if content != "" else f"{opening}/>"


def text(x, y, content, **kw):
    return el("text", escape(str(content)), x=f"{x:.1f}", y=f"{y:.1f}", **kw)


def num(value):
    return f"{value:.1f}"


class TimeScale:
    def __init__(self, first, last, left, right):
        self.first, self.last = first, last
        self.left, self.right = left, right
        self.span = max((last - first).days, 1)

    def __call__(self, day):
        day = min(max(day, self.first), self.last)
        return self.left + (day - self.first).days / self.span * (self.right - self.left)

    def years(self):
        """Year ticks, spaced so that their labels never crowd."""
        first, last = self.first.year + (self.first.month > 1 or self.first.day > 1), self.last.year
        count = max(last - first + 1, 1)
        room = (self.right - self.left) / 46
        step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if count / s <= room), 200)
        start = first + (-first % step)
        return [datetime.date(year, 1, 1) for year in range(start, last + 1, step)]


def uncertain_span(value):
    """The days a partial date may stand for: one day, a month or a year."""
    if value is None:
        return None
    return value.date, value.last_day + ONE_DAY


def domain(dates, today):
    """First and last day shown: whole years, with room after today for open-ended spells."""
    dates = [d for d in dates if d]
    first = min(dates + [today])
    last = max(dates + [today])
    first = datetime.date(first.year, 1, 1)
    padding = max((last - first).days // 30, 200)
    return first, last + datetime.timedelta(days=padding)


class Defs:
    """Gradients and patterns, each written once per chart and named with the chart's prefix."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.items = {}

    def ref(self, name):
        return f"url(#{self.prefix}-{name})"

    def role_fill(self, role):
        style = ROLE_STYLE.get(role, ROLE_STYLE[Role.MEMBER])
        if not style["pattern"]:
            return style["colour"]
        name = f"role-{role}"
        if name not in self.items:
            self.items[name] = pattern(f"{self.prefix}-{name}", style["pattern"], style["colour"])
        return self.ref(name)

    def fade(self, colour, direction):
        name = f"fade-{direction}-{colour.lstrip('#')}"
        if name not in self.items:
            low, high = ("0.08", "0.95") if direction == "in" else ("0.95", "0.08")
            stops = el("stop", offset="0", stop_color=colour, stop_opacity=low) + el(
                "stop", offset="1", stop_color=colour, stop_opacity=high
            )
            self.items[name] = el("linearGradient", stops, id=f"{self.prefix}-{name}", x1="0", x2="1", y1="0", y2="0")
        return self.ref(name)

    def suspension_fill(self, kind):
        style = SUSPENSION_STYLE.get(kind, SUSPENSION_STYLE[""])
        name = f"suspension-{kind or 'unknown'}"
        if name not in self.items:
            shape = "crosshatch" if kind == SuspensionKind.FORMAL else "hatch"
            self.items[name] = pattern(f"{self.prefix}-{name}", shape, style["colour"], background="#fff")
        return self.ref(name)

    def split_fill(self, colours):
        """Diagonal stripes of each colour in turn: a country in several of the map's layers."""
        name = "split-" + "-".join(c.lstrip("#") for c in colours)
        if name not in self.items:
            stripe = 5
            bars = "".join(
                el("rect", x=str(i * stripe), y="0", width=str(stripe), height="10", fill=colour)
                for i, colour in enumerate(colours)
            )
            self.items[name] = el(
                "pattern",
                bars,
                id=f"{self.prefix}-{name}",
                width=str(stripe * len(colours)),
                height="10",
                patternUnits="userSpaceOnUse",
                patternTransform="rotate(45)",
            )
        return self.ref(name)

    def hatch_overlay(self):
        if "overlay" not in self.items:
            lines = el("path", d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2", stroke="#fff", stroke_width="2.2")
            self.items["overlay"] = el(
                "pattern",
                lines,
                id=f"{self.prefix}-overlay",
                width="8",
                height="8",
                patternUnits="userSpaceOnUse",
            )
        return self.ref("overlay")

    def arrow(self):
        if "arrow" not in self.items:
            head = el("path", d="M0,0 L8,4 L0,8 Z", fill=MUTED)
            self.items["arrow"] = el(
                "marker",
                head,
                id=f"{self.prefix}-arrow",
                viewBox="0 0 8 8",
                refX="7",
                refY="4",
                markerWidth="7",
                markerHeight="7",
                orient="auto",
            )
        return self.ref("arrow")

    def render(self):
        return el("defs", "".join(self.items.values())) if self.items else ""


def pattern(pid, shape, colour, background=None):
    """A small tile: a pale version of the colour with marks in the full colour."""
    back = background or tint(colour, 0.72)
    tile = el("rect", width="8", height="8", fill=back)
    if shape == "dots":
        marks = el("circle", cx="2", cy="2", r="1.4", fill=colour) + el("circle", cx="6", cy="6", r="1.4", fill=colour)
    elif shape == "diagonal":
        marks = el("path", d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2", stroke=colour, stroke_width="1.6")
    elif shape == "stripes":
        marks = el("path", d="M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2", stroke=colour, stroke_width="2")
    elif shape == "grid":
        marks = el("path", d="M0,2 H8 M0,6 H8", stroke=colour, stroke_width="1.4")
    elif shape == "crosshatch":
        marks = el("path", d="M0,0 l8,8 M8,0 l-8,8", stroke=colour, stroke_width="1.5")
    else:  # hatch
        marks = el("path", d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2", stroke=colour, stroke_width="2.4")
    return el("pattern", tile + marks, id=pid, width="8", height="8", patternUnits="userSpaceOnUse")


def tint(colour, amount):
    """The colour mixed with white: amount 0 keeps it, 1 gives white."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def svg_root(prefix, width, height, title, desc, body, css_class):
    head = el("title", escape(title), id=f"{prefix}-title") + el("desc", escape(desc), id=f"{prefix}-desc")
    return mark_safe(
        el(
            "svg",
            head + body,
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {width} {height:.0f}",
            role="img",
            aria_labelledby=f"{prefix}-title {prefix}-desc",
            class_=css_class,
            font_family=FONT,
            font_size="13",
            fill=INK,
        )
    )


# Legends ---------------------------------------------------------------------------------------


def legend(items, y, left=0, width=WIDTH):
    """Swatches and labels, flowed left to right and wrapped; returns (svg, height)."""
    out, x, line = [], left, 0
    for swatch, label in items:
        label = str(label)
        item_width = 30 + len(label) * 7.3 + 18
        if x + item_width > width and x > left:
            x, line = left, line + 1
        top = y + line * 22
        out.append(swatch(x, top) + text(x + 28, top + 12, label, fill=INK))
        x += item_width
    return "".join(out), (line + 1) * 22 if items else 0


def swatch_fill(fill, stroke=None, dashed=False):
    def draw(x, y):
        return el(
            "rect",
            x=num(x),
            y=num(y + 1),
            width="22",
            height="13",
            rx="2",
            fill=fill,
            stroke=stroke,
            stroke_dasharray="3 2" if dashed else None,
        )

    return draw


def swatch_uncertain(defs, colour):
    def draw(x, y):
        return el("rect", x=num(x), y=num(y + 1), width="22", height="13", fill=defs.fade(colour, "in")) + el(
            "rect",
            x=num(x),
            y=num(y + 1),
            width="22",
            height="13",
            fill="none",
            stroke=colour,
            stroke_dasharray="3 2",
        )

    return draw


def swatch_ongoing(colour):
    def draw(x, y):
        return el("rect", x=num(x), y=num(y + 2), width="14", height="11", fill=colour) + el(
            "path", d=f"M{x + 15:.1f},{y + 1:.1f} l7,6.5 l-7,6.5 z", fill=colour
        )

    return draw


def swatch_line(colour, dashed=True):
    def draw(x, y):
        return el(
            "line",
            x1=num(x + 11),
            x2=num(x + 11),
            y1=num(y - 1),
            y2=num(y + 16),
            stroke=colour,
            stroke_width="2",
            stroke_dasharray="4 3" if dashed else None,
        )

    return draw


DISPUTED_COLOUR = "#9b1c1c"


def fork(x, y, height, direction):
    """A forked bar end: the sources put this end of the spell on different days."""
    d = 6 * direction
    return el(
        "path",
        d=f"M{x:.1f},{y + height / 2:.1f} l{d},-{height / 2 + 3:.1f} M{x:.1f},{y + height / 2:.1f} l{d},{height / 2 + 3:.1f}",
        stroke=DISPUTED_COLOUR,
        stroke_width="2",
        fill="none",
        class_="disputed-end",
    )


def swatch_fork():
    def draw(x, y):
        return el("rect", x=num(x + 8), y=num(y + 2), width="14", height="11", fill=MUTED) + fork(x + 8, y + 2, 11, -1)

    return draw


def swatch_diamond(colour):
    def draw(x, y):
        return el("path", d=f"M{x + 11:.1f},{y + 1:.1f} l6,6.5 l-6,6.5 l-6,-6.5 z", fill=colour)

    return draw


# Membership timelines -------------------------------------------------------------------------
