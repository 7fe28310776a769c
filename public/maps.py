"""The region map on a date, drawn on the server as SVG from a small file of country shapes.

The shapes come from Natural Earth (public domain) by way of the world-atlas package, prepared once
into public/shapes/eurasia-map.json. Countries are coloured by their standing on the day in the two
layers of the founding article's map, "Russian Allies in Eurasia": the military alliance and the
customs union.
"""

import functools
import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from django.utils.safestring import mark_safe

from blocs.models import BlocKind
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
MAP_COLOURS = {
    "military": "#c0503f",
    "economic": "#2f72a8",
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


@dataclass
class CountryStatus:
    name: str
    href: str = ""
    military: str = ""  # "member", "other" (observer, candidate, ...) or ""
    economic: str = ""
    suspended: bool = False  # any of its memberships that colour the map is suspended
    lines: list = field(default_factory=list)

    def category(self):
        mil, eco = self.military == "member", self.economic == "member"
        if mil and eco:
            return "both"
        if mil:
            return "military"
        if eco:
            return "economic"
        if "other" in (self.military, self.economic):
            return "other_role"
        return "none"

    def hatched(self):
        return self.suspended


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


def region_map(statuses, names, *, day, prefix="map", title=None):
    """The region coloured by membership of the two layers' blocs on `day`.

    `statuses` maps alpha-3 codes to CountryStatus; `names` gives the blocs of each layer, for the key.
    """
    shapes = region_shapes()
    width, height = shapes["width"], shapes["height"]
    defs = Defs(prefix)
    overlay = defs.hatch_overlay()
    day_words = str(PartialDate(day))

    body = [el("rect", width=num(width), height=num(height), fill=MAP_COLOURS["sea"])]
    body.append(el("path", d=shapes["graticule"], fill="none", stroke="#fff", stroke_width="0.7", stroke_opacity="0.8"))
    drawn = set()
    for shape in shapes["countries"]:
        status = statuses.get(shape["alpha3"])
        category = status.category() if status else "none"
        name = status.name if status else shape["name"]
        tip = f"{name}: " + ("; ".join(status.lines) if status and status.lines else "no membership recorded")
        path = el("path", d=shape["path"], fill=MAP_COLOURS[category], fill_rule="evenodd")
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

    off_map = sorted(s.name for code, s in statuses.items() if code not in drawn and s.category() != "none")
    title = title or f"Blocs on {day_words}"
    desc = map_description(statuses, names, day_words, off_map)
    svg = svg_root(prefix, width, height, title, desc, defs.render() + "".join(body), "chart map")
    return RegionMap(svg=svg, legend=map_legend(names, prefix), off_map=off_map)


@dataclass
class RegionMap:
    svg: str
    legend: str
    off_map: list

    def __str__(self):
        return self.svg


def name_list(names, most=4):
    if not names:
        return "none on this date"
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most} more"


def map_legend(names, prefix):
    """The map's key as an HTML list, so that it stays legible on a phone, where the map is small."""
    mil, eco = name_list(names["military"]), name_list(names["economic"])
    hatch = f"{prefix}-legend-hatch"
    overlay = el(
        "pattern",
        el("path", d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2", stroke="#fff", stroke_width="2.2"),
        id=hatch,
        width="8",
        height="8",
        patternUnits="userSpaceOnUse",
    )
    items = [
        (
            el("rect", width="22", height="14", rx="2", fill=MAP_COLOURS["military"]),
            f"Member of a military alliance ({mil})",
        ),
        (
            el("rect", width="22", height="14", rx="2", fill=MAP_COLOURS["economic"]),
            f"Member of an economic or customs union ({eco})",
        ),
        (el("rect", width="22", height="14", rx="2", fill=MAP_COLOURS["both"]), "Member of both"),
        (
            el("rect", width="22", height="14", rx="2", fill=MAP_COLOURS["other_role"]),
            "Observer, candidate, associate or other role only",
        ),
        (
            el("defs", overlay)
            + el("rect", width="22", height="14", rx="2", fill=MAP_COLOURS["military"])
            + el("rect", width="22", height="14", rx="2", fill=f"url(#{hatch})"),
            "Hatched: a membership suspended",
        ),
        (
            el("rect", x="0.5", y="0.5", width="21", height="13", rx="2", fill=MAP_COLOURS["none"], stroke="#b9b2a3"),
            "None of these",
        ),
    ]
    rows = "".join(
        el("li", el("svg", swatch, viewBox="0 0 22 14", width="22", height="14", aria_hidden="true") + escape(label))
        for swatch, label in items
    )
    return mark_safe(el("ul", rows, class_="map-legend", aria_label="Key to the map"))


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


def map_description(statuses, names, day_words, off_map):
    groups = {"both": [], "military": [], "economic": [], "other_role": []}
    for status in statuses.values():
        category = status.category()
        if category in groups:
            groups[category].append(status.name + (" (suspended)" if status.hatched() else ""))
    parts = [f"Map of the region on {day_words}."]
    words = {
        "both": "Members of both a military alliance and an economic union",
        "military": f"Members of a military alliance ({name_list(names['military'])}) only",
        "economic": f"Members of an economic or customs union ({name_list(names['economic'])}) only",
        "other_role": "Observers, candidates or associates only",
    }
    for key, members in groups.items():
        if members:
            parts.append(f"{words[key]}: {', '.join(sorted(members))}.")
    if off_map:
        parts.append(f"Outside the map: {', '.join(off_map)}.")
    return " ".join(parts)
