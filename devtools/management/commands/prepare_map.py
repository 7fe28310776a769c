"""Prepare the region map shipped in public/shapes/ from Natural Earth country shapes (world-atlas TopoJSON).

Run once, when the map should change:

    cd /tmp && npm install world-atlas
    python manage.py prepare_map /tmp/node_modules/world-atlas/countries-50m.json

Natural Earth is public domain; world-atlas (ISC licence) ships it as TopoJSON. The command
decodes the TopoJSON, keeps the countries of the region, projects them (Albers equal-area conic),
clips them to the frame, simplifies the outlines and writes SVG path data, so that pages draw the
map without any run-time geometry work.
"""

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from public.maps import MAP_FILE

DEFAULT_OUTPUT = MAP_FILE

# ISO 3166-1 numeric (world-atlas ids) to alpha-3, for every country drawn in the frame. Pages
# match shapes to records by alpha-3; Kosovo has no ISO code, so it is drawn under a user-assigned one.
NUMERIC_TO_ALPHA3 = {
    "004": "AFG",
    "008": "ALB",
    "031": "AZE",
    "051": "ARM",
    "040": "AUT",
    "070": "BIH",
    "100": "BGR",
    "112": "BLR",
    "156": "CHN",
    "191": "HRV",
    "196": "CYP",
    "203": "CZE",
    "208": "DNK",
    "233": "EST",
    "246": "FIN",
    "248": "ALA",
    "268": "GEO",
    "276": "DEU",
    "300": "GRC",
    "348": "HUN",
    "356": "IND",
    "364": "IRN",
    "368": "IRQ",
    "376": "ISR",
    "392": "JPN",
    "398": "KAZ",
    "400": "JOR",
    "408": "PRK",
    "410": "KOR",
    "414": "KWT",
    "417": "KGZ",
    "422": "LBN",
    "428": "LVA",
    "440": "LTU",
    "496": "MNG",
    "498": "MDA",
    "499": "MNE",
    "524": "NPL",
    "578": "NOR",
    "586": "PAK",
    "616": "POL",
    "642": "ROU",
    "643": "RUS",
    "682": "SAU",
    "688": "SRB",
    "703": "SVK",
    "705": "SVN",
    "752": "SWE",
    "760": "SYR",
    "762": "TJK",
    "792": "TUR",
    "795": "TKM",
    "804": "UKR",
    "807": "MKD",
    "818": "EGY",
    "860": "UZB",
    "Kosovo": "XKX",
    "N. Cyprus": "CYP",
}

# Albers equal-area conic centred on the region, with standard parallels that keep both the
# Caucasus and northern Russia in proportion.
LON0, LAT0, PARALLEL1, PARALLEL2 = 68.0, 50.0, 40.0, 62.0
# The frame, as lon/lat points it must contain: the Baltic to Lake Baikal, the Barents Sea to Iran.
FRAME_POINTS = [(18.0, 54.0), (26.0, 71.0), (65.0, 73.0), (112.0, 56.0), (80.0, 34.0), (44.0, 33.0), (28.0, 38.0)]
WIDTH = 1000.0
TOLERANCE = 0.6  # simplification tolerance, in output pixels
CRIMEA = (32.4, 44.3, 36.7, 46.3)  # lon/lat box: min lon, min lat, max lon, max lat
# Where a label reads better than at the centre of the largest shape (lon, lat).
LABEL_AT = {"RUS": (70.0, 61.0), "NOR": (12.0, 64.5), "SWE": (16.0, 62.5), "FIN": (26.0, 63.0), "CHN": (95.0, 37.0)}


class Albers:
    def __init__(self, lon0, lat0, phi1, phi2):
        r = math.radians
        self.lon0 = r(lon0)
        self.n = (math.sin(r(phi1)) + math.sin(r(phi2))) / 2
        self.c = math.cos(r(phi1)) ** 2 + 2 * self.n * math.sin(r(phi1))
        self.rho0 = math.sqrt(self.c - 2 * self.n * math.sin(r(lat0))) / self.n

    def __call__(self, lon, lat):
        # Longitudes are taken relative to the central meridian, so the Far East stays east.
        lam = math.radians((lon - math.degrees(self.lon0) + 180) % 360 - 180)
        rho = math.sqrt(self.c - 2 * self.n * math.sin(math.radians(lat))) / self.n
        theta = self.n * lam
        return rho * math.sin(theta), -(self.rho0 - rho * math.cos(theta))  # y grows downwards, as in SVG


def decode_arcs(topology):
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def stitch(arcs, indexes):
    ring = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def polygons_of(geometry):
    """The polygons of a geometry, each a list of rings, each ring a list of arc indexes."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def clip(ring, xmin, ymin, xmax, ymax):
    """Sutherland-Hodgman against the frame; a ring wholly outside comes back empty."""
    edges = [
        (lambda p: p[0] >= xmin, lambda a, b: _cross_x(a, b, xmin)),
        (lambda p: p[0] <= xmax, lambda a, b: _cross_x(a, b, xmax)),
        (lambda p: p[1] >= ymin, lambda a, b: _cross_y(a, b, ymin)),
        (lambda p: p[1] <= ymax, lambda a, b: _cross_y(a, b, ymax)),
    ]
    points = ring
    for inside, cross in edges:
        if not points:
            break
        out = []
        prev = points[-1]
        for cur in points:
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
            prev = cur
        points = out
    return points


def clip_line(line, xmin, ymin, xmax, ymax):
    """Pieces of a polyline inside the frame (each segment clipped, Liang-Barsky)."""
    pieces, current = [], []
    for a, b in zip(line, line[1:], strict=False):
        segment = _clip_segment(a, b, xmin, ymin, xmax, ymax)
        if segment is None:
            if len(current) > 1:
                pieces.append(current)
            current = []
            continue
        start, end = segment
        if not current or current[-1] != start:
            if len(current) > 1:
                pieces.append(current)
            current = [start]
        current.append(end)
    if len(current) > 1:
        pieces.append(current)
    return pieces


def _clip_segment(a, b, xmin, ymin, xmax, ymax):
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    start = a if t0 == 0 else (x0 + t0 * dx, y0 + t0 * dy)
    end = b if t1 == 1 else (x0 + t1 * dx, y0 + t1 * dy)
    return start, end


def _cross_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def simplify(points, tolerance):
    """Douglas-Peucker, iterative so that long coastlines do not hit the recursion limit."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay = points[first]
        bx, by = points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, index = 0.0, None
        for i in range(first + 1, last):
            px, py = points[i]
            if norm:
                dist = abs(dy * px - dx * py + bx * ay - by * ax) / norm
            else:
                dist = math.hypot(px - ax, py - ay)
            if dist > worst:
                worst, index = dist, i
        if index is not None and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def centroid(ring):
    a = area(ring)
    if not a:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        f = x1 * y2 - x2 * y1
        cx += (x1 + x2) * f
        cy += (y1 + y2) * f
    return cx / (6 * a), cy / (6 * a)


def number(value):
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def path_data(lines, closed=True):
    parts = []
    for line in lines:
        points = "L".join(f"{number(x)} {number(y)}" for x, y in line)
        parts.append(f"M{points}" + ("Z" if closed else ""))
    return "".join(parts)


def in_box(ring, box):
    xs, ys = zip(*ring, strict=True)
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


class Command(BaseCommand):
    help = "Write public/shapes/eurasia-map.json from world-atlas's countries-50m.json (Natural Earth)."

    def add_arguments(self, parser):
        parser.add_argument("topojson", help="Path to world-atlas countries-50m.json")
        parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="Where to write the prepared map")

    def handle(self, topojson, output, **options):
        try:
            topology = json.loads(Path(topojson).read_text())
            arcs = decode_arcs(topology)
            geometries = topology["objects"]["countries"]["geometries"]
        except (OSError, ValueError, KeyError) as e:
            raise CommandError(f"{topojson} is not world-atlas TopoJSON: {e}") from None

        project = Albers(LON0, LAT0, PARALLEL1, PARALLEL2)
        shapes = {}
        owners = {}  # arc index -> the countries whose outline uses it
        for geometry in geometries:
            key = geometry.get("id") or geometry["properties"].get("name")
            alpha3 = NUMERIC_TO_ALPHA3.get(key, key)
            shape = shapes.setdefault(alpha3, {"name": geometry["properties"]["name"], "polygons": []})
            shape["polygons"] += polygons_of(geometry)
        if "RUS" not in shapes or "UKR" not in shapes:
            raise CommandError("Russia or Ukraine is missing: is this world-atlas's countries file?")
        if "CYP" in shapes:  # Natural Earth draws northern Cyprus apart; the map shows one Cyprus
            shapes["CYP"]["name"] = "Cyprus"

        # Natural Earth draws Crimea inside Russia (its de facto line); the map shows the
        # internationally recognised border, as UN General Assembly resolution 68/262 does.
        crimea = [p for p in shapes["RUS"]["polygons"] if in_box(stitch(arcs, p[0]), CRIMEA)]
        shapes["RUS"]["polygons"] = [p for p in shapes["RUS"]["polygons"] if p not in crimea]
        shapes["UKR"]["polygons"] += crimea

        for alpha3, shape in shapes.items():
            for polygon in shape["polygons"]:
                for ring in polygon:
                    for i in ring:
                        owners.setdefault(i if i >= 0 else ~i, set()).add(alpha3)

        frame = [project(lon, lat) for lon, lat in FRAME_POINTS]
        xmin, xmax = min(x for x, _ in frame), max(x for x, _ in frame)
        ymin, ymax = min(y for _, y in frame), max(y for _, y in frame)
        scale = WIDTH / (xmax - xmin)
        height = (ymax - ymin) * scale
        box = (0, 0, WIDTH, height)

        def to_frame(lon, lat):
            x, y = project(lon, lat)
            return (x - xmin) * scale, (y - ymin) * scale

        countries = []
        for alpha3, shape in sorted(shapes.items()):
            if alpha3 not in NUMERIC_TO_ALPHA3.values():
                continue
            rings = []
            for polygon in shape["polygons"]:
                for ring in polygon:
                    points = clip([to_frame(lon, lat) for lon, lat in stitch(arcs, ring)], *box)
                    points = simplify(points + points[:1], TOLERANCE)[:-1] if len(points) > 3 else points
                    if len(points) >= 3 and abs(area(points)) >= 1.0:
                        rings.append(points)
            if not rings:
                continue
            if alpha3 in LABEL_AT:
                label = to_frame(*LABEL_AT[alpha3])
            else:
                label = centroid(max(rings, key=lambda r: abs(area(r))))
            countries.append(
                {
                    "alpha3": alpha3,
                    "name": shape["name"],
                    "path": path_data(rings),
                    "label": [round(label[0], 1), round(label[1], 1)],
                }
            )

        # Land borders: arcs shared by two different countries. Drawn once, over the fills, so that
        # a country split into several polygons (Ukraine with Crimea) shows no line inside itself.
        borders = []
        for i, who in sorted(owners.items()):
            if len(who) > 1:
                for piece in clip_line([to_frame(lon, lat) for lon, lat in arcs[i]], *box):
                    piece = simplify(piece, TOLERANCE)
                    if len(piece) > 1:
                        borders.append(piece)

        graticule = []
        for lon in range(10, 180, 10):
            graticule += clip_line([to_frame(lon, lat / 2) for lat in range(40, 180)], *box)
        for lat in range(30, 90, 10):
            graticule += clip_line([to_frame(lon / 2, lat) for lon in range(0, 300)], *box)

        document = {
            "credit": "Country shapes: Natural Earth (public domain), 1:50m admin-0, via the world-atlas package.",
            "projection": f"Albers equal-area conic, centre {LON0}°E {LAT0}°N, standard parallels {PARALLEL1}°N and {PARALLEL2}°N",
            "note": "Crimea is drawn within Ukraine's internationally recognised borders.",
            "width": WIDTH,
            "height": round(height, 1),
            "graticule": path_data([simplify(line, TOLERANCE) for line in graticule], closed=False),
            "borders": path_data(borders, closed=False),
            "countries": countries,
        }
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.stdout.write(f"Wrote {output}: {len(countries)} countries, {Path(output).stat().st_size // 1024} KiB.")
