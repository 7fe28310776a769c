"""The region map on a date, drawn on the server as SVG from a small file of country shapes.

The shapes come from Natural Earth (public domain) by way of the world-atlas package, prepared once
into public/shapes/eurasia-map.json. Countries are coloured by their standing on the day: by default in
every family of blocs (military alliances, economic unions, political organisations); on request in the
two layers of the founding article's map, "Russian Allies in Eurasia" (the military alliance and the
customs union), in the blocs of one family, or in chosen blocs.
"""

import functools
import json
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blocs.models import BlocKind
from eurasia.languages import in_reading_order
from eurasia.partial_dates import PartialDate

from .svg import INK, MUTED, Defs, el, num, svg_root, text

MAP_FILE = Path(__file__).resolve().parent / "shapes" / "eurasia-map.json"


# The founding article's map, "Russian Allies in Eurasia", colours two blocs: the military alliance
# (the CSTO, and the CST before it) and the customs union (the Customs Union, and the EAEU that
# continued it). Other economic blocs (EurAsEC, the SES) and NATO are listed on the page, not coloured.
MAP_LAYERS = {"military": ("csto", "cst"), "economic": ("eaeu", "cu-bkr")}
# A record without those blocs is coloured by kind instead.
LAYER_KINDS = {
    "military": {BlocKind.MILITARY_ALLIANCE},
    "economic": {BlocKind.CUSTOMS_UNION, BlocKind.ECONOMIC_UNION},
}
# What the map colours (?family=, ?show=): every family (the default), the article's two layers, the blocs
# of one family, or chosen blocs. Families group the kinds of bloc.
FAMILIES = {
    "military": (_("military alliances"), {BlocKind.MILITARY_ALLIANCE}),
    "economic": (_("economic unions"), {BlocKind.CUSTOMS_UNION, BlocKind.ECONOMIC_UNION}),
    "political": (_("political organisations"), {BlocKind.POLITICAL, BlocKind.OTHER}),
}
ARTICLE = "article"  # ?family=article: the founding article's two layers
FAMILY_MEMBER_WORDS = {
    "military": _("Member of a military alliance"),
    "economic": _("Member of an economic or customs union"),
    "political": _("Member of a political organisation"),
}
PALETTE = ["#c0503f", "#2f72a8", "#3d8b5a", "#c98a1b", "#7b5ea7", "#1f8a8a"]
MOST_SHOWN = len(PALETTE)
SLUG_WORD = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MAP_COLOURS = {
    "military": "#c0503f",
    "economic": "#2f72a8",
    "political": "#3d8b5a",
    "both": "#6a4c9c",
    "other_role": "#e6c77a",
    "none": "#ece8df",
    "sea": "#d7e6ef",
}
# Countries outside every bloc on the day are still named when they help a reader find their way.
LANDMARKS = {
    "TUR", "IRN", "AFG", "CHN", "MNG", "POL", "FIN", "ROU", "NOR", "SWE", "PAK", "IRQ", "SYR",
    "RUS", "BLR", "UKR", "MDA", "GEO", "ARM", "AZE", "KAZ", "KGZ", "TJK", "UZB", "TKM", "LTU", "LVA", "EST",
}  # fmt: skip
# Small countries get their label beside them, with a leader line (offset in map units).
LABEL_OFFSETS = {
    "ARM": (-58, 34),
    "AZE": (44, 26),
    "GEO": (-40, -24),
    "MDA": (-40, 18),
    "KGZ": (26, -22),
    "TJK": (4, 30),
}


@functools.cache
def region_shapes():
    return json.loads(MAP_FILE.read_text())


def family_of(bloc):
    return next(family for family, (_, kinds) in FAMILIES.items() if bloc.kind in kinds)


class BadChoice(ValueError):
    """A ?family= or ?show= the map cannot draw; the message says why, for the reader."""


@dataclass
class Layer:
    """One colour on the map: a family of blocs, or one bloc."""

    key: str  # the class of the countries it colours: a family or a bloc's slug
    label: str  # the key's words
    short: str  # how the list of countries outside the map names it
    colour: str
    bloc_ids: list = field(default_factory=list)

    def __post_init__(self):
        # Words may come translated lazily (FAMILIES); the map joins them as plain strings.
        self.label, self.short = str(self.label), str(self.short)


@dataclass
class MapChoice:
    """What a reader chose to colour: every family, the founding article's two layers, one family's blocs, or blocs."""

    family: str = ""  # "all" (or "", the default, when no blocs are chosen), "article", or a family
    slugs: tuple = ()

    @classmethod
    def from_query(cls, query):
        family = query.get("family", "").strip()
        slugs = [s.strip().lower() for raw in query.getlist("show") for s in raw.split(",") if s.strip()]
        if family and slugs:
            raise BadChoice(gettext("Choose either a family (?family=) or blocs (?show=), not both."))
        if family and family not in ("all", ARTICLE, *FAMILIES):
            raise BadChoice(
                gettext(
                    "“%(family)s” is not a family of blocs: choose all, %(families)s, "
                    "or %(article)s (the founding article's two layers)."
                )
                % {"family": family[:40], "families": ", ".join(FAMILIES), "article": ARTICLE}
            )
        slugs = list(dict.fromkeys(slugs))
        if len(slugs) > MOST_SHOWN:
            raise BadChoice(gettext("The map can colour at most %(most)d blocs at once.") % {"most": MOST_SHOWN})
        for slug in slugs:
            if not SLUG_WORD.match(slug):
                raise BadChoice(
                    gettext("“%(slug)s” is not a bloc's short name: use names such as csto,nato.") % {"slug": slug[:40]}
                )
        return cls(family=family, slugs=tuple(slugs))

    @property
    def is_article(self):
        return self.family == ARTICLE

    @property
    def is_every_family(self):
        return self.family in ("", "all") and not self.slugs

    def query(self):
        """The choice as a query string for links that keep it ("" for the default, every family)."""
        if self.family:
            return f"?family={self.family}"
        if self.slugs:
            return "?show=" + ",".join(self.slugs)
        return ""

    def layers(self, blocs, existing, by_slug):
        """The layers to colour. `blocs` are all blocs (by slug), `existing` those in existence on the day.

        Blocs of one family are coloured by line (`lines_of`): the CST and the CSTO that continues it are one colour.
        """
        tops = [b for b in existing if b.parent_id is None]
        if self.slugs:
            unknown = [s for s in self.slugs if s not in blocs]
            if unknown:
                raise BadChoice(gettext("There is no bloc with the short name “%(slug)s”.") % {"slug": unknown[0][:40]})
            layers = []
            for colour, slug in zip(PALETTE, self.slugs, strict=False):
                bloc = blocs[slug]
                words = gettext("%(bloc)s member") % {"bloc": bloc.short_name}
                if bloc not in existing:
                    words += " " + gettext("(not in existence on this date)")
                layers.append(Layer(slug, words, bloc.short_name, colour, [bloc.pk]))
            return layers
        if self.is_every_family:
            return [
                Layer(
                    family,
                    f"{FAMILY_MEMBER_WORDS[family]} ({name_list([b.short_name for b in tops if family_of(b) == family])})",
                    words,
                    MAP_COLOURS[family],
                    [b.pk for b in tops if family_of(b) == family],
                )
                for family, (words, _) in FAMILIES.items()
            ]
        if self.family != ARTICLE:
            lines = lines_of([b for b in tops if family_of(b) == self.family], blocs.values())
            layers = []
            for colour, line in zip(PALETTE, lines, strict=False):
                short = " / ".join(b.short_name for b in line)
                words = gettext("%(bloc)s member") % {"bloc": short}
                layers.append(Layer(line[-1].slug, words, short, colour, [b.pk for b in line]))
            return layers
        layers = []
        for layer in ("military", "economic"):
            ids = [b.pk for b in existing if layer_of(b, by_slug) == layer]
            names = name_list([b.short_name for b in existing if layer_of(b, by_slug) == layer])
            label = FAMILIES[layer][0]
            layers.append(Layer(layer, f"{FAMILY_MEMBER_WORDS[layer]} ({names})", label, MAP_COLOURS[layer], ids))
        return layers


@dataclass
class CountryStatus:
    name: str
    href: str = ""
    members: list = field(default_factory=list)  # keys of the layers it is a member in
    others: list = field(default_factory=list)  # keys of the layers it holds another role in
    suspended: bool = False  # any of its memberships that colour the map is suspended
    lines: list = field(default_factory=list)
    combined: str = "several"  # the class of a member of several layers ("both" on the article's map)

    def category(self):
        if len(self.members) > 1:
            return self.combined
        if self.members:
            return self.members[0]
        if self.others:
            return "other_role"
        return "none"

    def hatched(self):
        return self.suspended


def lines_of(chosen, every_bloc):
    """`chosen` blocs gathered into lines, each in founding order: a bloc joins the line of the one it continues.

    A line is a one-to-one continuation (the CST and the CSTO, the Shanghai Five and the SCO, the Union of
    Belarus and Russia and the Union State): the earlier bloc has only that successor and the later only that
    predecessor, both among `chosen`. A merger (the Customs Union, EurAsEC and the SES into the EAEU) keeps
    its blocs apart. Reads `predecessor_ids`, which the views give every bloc (views.every_bloc).
    """
    successors = {}
    for bloc in every_bloc:
        for pk in bloc.predecessor_ids:
            successors.setdefault(pk, []).append(bloc.pk)
    ids = {b.pk for b in chosen}
    continued = {}  # a bloc's id -> the bloc that continues it in its line
    for bloc in chosen:
        preds = bloc.predecessor_ids
        if len(preds) == 1 and preds[0] in ids and successors.get(preds[0]) == [bloc.pk]:
            continued[preds[0]] = bloc
    later = {b.pk for b in continued.values()}
    lines = []
    for bloc in chosen:  # each line starts at a bloc that continues none of the others
        if bloc.pk in later:
            continue
        line = [bloc]
        while line[-1].pk in continued:
            line.append(continued[line[-1].pk])
        lines.append(line)
    return lines


def layer_slugs():
    return {slug for slugs in MAP_LAYERS.values() for slug in slugs}


def layer_of(bloc, by_slug):
    """The map layer a bloc colours, or None; a force inside a bloc (the CRRF) colours none."""
    if bloc.parent_id is not None:
        return None
    for layer, kinds in LAYER_KINDS.items():
        if by_slug and bloc.slug in MAP_LAYERS[layer] or not by_slug and bloc.kind in kinds:
            return layer
    return None


def region_map(statuses, layers, *, day, prefix="map", title=None, article=True):
    """The region coloured by membership of the layers' blocs on `day`.

    `statuses` maps alpha-3 codes to CountryStatus; `layers` are the Layers coloured, in the key's order.
    """
    shapes = region_shapes()
    width, height = shapes["width"], shapes["height"]
    defs = Defs(prefix)
    overlay = defs.hatch_overlay()
    day_words = str(PartialDate(day))
    colours = {layer.key: layer.colour for layer in layers}

    body = [el("rect", width=num(width), height=num(height), fill=MAP_COLOURS["sea"])]
    body.append(el("path", d=shapes["graticule"], fill="none", stroke="#fff", stroke_width="0.7", stroke_opacity="0.8"))
    drawn = set()
    for shape in shapes["countries"]:
        status = statuses.get(shape["alpha3"])
        category = status.category() if status else "none"
        name = status.name if status else shape["name"]
        tip = f"{name}: " + ("; ".join(status.lines) if status and status.lines else gettext("no membership recorded"))
        path = el("path", d=shape["path"], fill=fill_of(status, category, colours, defs), fill_rule="evenodd")
        if status and status.hatched():
            path += el("path", d=shape["path"], fill=overlay, fill_rule="evenodd")
        path += el("title", escape(tip))
        if status and status.href:
            body.append(el("a", path, href=status.href, tabindex="-1", class_=f"country {category}"))
        else:
            body.append(el("g", path, class_=f"country {category}"))
        drawn.add(shape["alpha3"])
    body.append(
        el("path", d=shapes["borders"], fill="none", stroke="#fff", stroke_width="0.9", stroke_linejoin="round")
    )
    for shape in shapes["countries"]:
        if not 40 < shape["label"][0] < width - 40:
            continue  # a country cut by the frame: its name would be cut too
        status = statuses.get(shape["alpha3"])
        if status and status.category() != "none":
            body.append(map_label(shape, status.name, strong=True))
        elif status:
            body.append(map_label(shape, status.name, strong=False))
        elif shape["alpha3"] in LANDMARKS:
            body.append(map_label(shape, shape["name"], strong=False))

    body.append(
        text(width - 8, height - 8, "Natural Earth", text_anchor="end", font_size="10", fill=MUTED, font_style="italic")
    )

    off_map = off_map_groups(statuses, drawn, layers, article)
    title = title or gettext("Blocs on %(day)s") % {"day": day_words}
    desc = map_description(statuses, layers, day_words, off_map, article)
    svg = svg_root(prefix, width, height, title, desc, defs.render() + "".join(body), "chart map")
    return RegionMap(svg=svg, legend=map_legend(layers, prefix, article), off_map=off_map)


def fill_of(status, category, colours, defs):
    """A country's fill: its layer's colour, stripes of its layers' colours, or the article map's colours."""
    if category in colours:
        return colours[category]
    if category == "several":
        return defs.split_fill([colours[key] for key in status.members])
    return MAP_COLOURS[category]


@dataclass
class RegionMap:
    svg: str
    legend: str
    off_map: list

    def __str__(self):
        return self.svg


def name_list(names, most=4):
    if not names:
        return gettext("none on this date")
    if len(names) <= most:
        return ", ".join(names)
    return gettext("%(names)s and %(more)d more") % {"names": ", ".join(names[:most]), "more": len(names) - most}


def swatch(fill, **kw):
    return el("rect", width="22", height="14", rx="2", fill=fill, **kw)


def map_legend(layers, prefix, article=True):
    """The map's key as an HTML list, so that it stays legible on a phone, where the map is small."""
    defs = Defs(f"{prefix}-legend")
    hatch = f"{prefix}-legend-hatch"
    overlay = el(
        "pattern",
        el("path", d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2", stroke="#fff", stroke_width="2.2"),
        id=hatch,
        width="8",
        height="8",
        patternUnits="userSpaceOnUse",
    )
    items = [(swatch(layer.colour), layer.label) for layer in layers]
    if article:
        items.append((swatch(MAP_COLOURS["both"]), gettext("Member of both")))
    elif len(layers) > 1:
        split = defs.split_fill([layer.colour for layer in layers[:2]])
        items.append(
            (defs.render() + swatch(split), gettext("Striped: a member of two or more of these, in their colours"))
        )
    items += [
        (swatch(MAP_COLOURS["other_role"]), gettext("Observer, candidate, associate or other role only")),
        (
            el("defs", overlay)
            + swatch(layers[0].colour if layers else MAP_COLOURS["military"])
            + swatch(f"url(#{hatch})"),
            gettext("Hatched: a membership suspended"),
        ),
        (
            el("rect", x="0.5", y="0.5", width="21", height="13", rx="2", fill=MAP_COLOURS["none"], stroke="#b9b2a3"),
            gettext("None of these"),
        ),
    ]
    rows = "".join(
        el("li", el("svg", fill, viewBox="0 0 22 14", width="22", height="14", aria_hidden="true") + escape(label))
        for fill, label in items
    )
    return mark_safe(el("ul", rows, class_="map-legend", aria_label=gettext("Key to the map")))


def map_label(shape, name, strong):
    x, y = shape["label"]
    dx, dy = LABEL_OFFSETS.get(shape["alpha3"], (0, 0))
    out = ""
    if dx or dy:
        end_x, end_y = x + dx * 0.75, y + dy * 0.75 - (2 if dy < 0 else -2)
        out += el(
            "line",
            x1=num(x),
            y1=num(y),
            x2=num(end_x),
            y2=num(end_y),
            stroke=INK if strong else "#8a8170",
            stroke_width="0.8",
        )
    size = "13" if strong else "11.5"
    return out + text(
        x + dx,
        y + dy + 4,
        name,
        text_anchor="middle",
        font_size=size,
        font_weight="600" if strong else None,
        font_style=None if strong else "italic",
        fill=INK if strong else "#8a8170",
        stroke="#fff" if strong else None,
        stroke_width="3" if strong else None,
        stroke_opacity="0.85" if strong else None,
        paint_order="stroke" if strong else None,
        class_="map-label",
    )


def off_map_groups(statuses, drawn, layers, article):
    """The countries outside the frame, one text per set of layers they belong to: "Canada, Spain (NATO)".

    Each set is named once, not after every country: a world of a hundred countries off the map
    would otherwise repeat the same words a hundred times. The article's map names the countries alone.
    """
    shorts = {layer.key: layer.short for layer in layers}
    groups = {}
    for code, status in in_reading_order(sorted(statuses.items(), key=lambda i: i[1].name), lambda i: i[1].name):
        if code not in drawn and status.category() != "none":
            key = () if article else tuple(status.members + status.others)
            groups.setdefault(key, []).append(status.name)
    return [
        ", ".join(names) if not key else f"{', '.join(names)} ({', '.join(shorts[k] for k in key)})"
        for key, names in groups.items()
    ]


def map_description(statuses, layers, day_words, off_map, article=True):
    labels = {layer.key: layer.label for layer in layers}
    groups = {key: [] for key in labels}
    several, others = [], []
    for status in in_reading_order(sorted(statuses.values(), key=lambda s: s.name), lambda s: s.name):
        category = status.category()
        if category in groups:
            groups[category].append(status)
        elif category in ("both", "several"):
            several.append(status)
        elif category == "other_role":
            others.append(status)
    parts = [gettext("Map of the region on %(day)s.") % {"day": day_words}]
    if several:
        words = (
            gettext("Members of both a military alliance and an economic union")
            if article
            else gettext("Members of several of these")
        )
        parts.append(f"{words}: {names_with_suspensions(several)}.")
    for key, members in groups.items():
        if members:
            parts.append(
                gettext("%(layer)s only: %(countries)s.")
                % {"layer": labels[key], "countries": names_with_suspensions(members)}
            )
    if others:
        parts.append(
            gettext("Observers, candidates or associates only: %(countries)s.")
            % {"countries": names_with_suspensions(others)}
        )
    if off_map:
        parts.append(gettext("Outside the map: %(countries)s.") % {"countries": "; ".join(off_map)})
    return " ".join(parts)


def names_with_suspensions(statuses):
    """The countries' names, those whose membership is suspended after the rest, the suspension said once."""
    held = ", ".join(s.name for s in statuses if not s.hatched())
    suspended = [s.name for s in statuses if s.hatched()]
    if not suspended:
        return held
    words = gettext("membership suspended: %(countries)s") % {"countries": ", ".join(suspended)}
    return f"{held}; {words}" if held else words
