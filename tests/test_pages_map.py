"""The region map: the prepared file the project ships, the command that prepares it from world-atlas, and its lines of blocs."""

import json
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from devtools.management.commands.prepare_map import Albers, clip, clip_line, simplify
from public.maps import MAP_FILE, lines_of

ELEVEN = ["RUS", "BLR", "ARM", "KAZ", "KGZ", "TJK", "UZB", "UKR", "AZE", "GEO", "MDA"]


def test_shipped_map_covers_the_eleven_countries_and_their_neighbours():
    shapes = json.loads(MAP_FILE.read_text())
    codes = {c["alpha3"] for c in shapes["countries"]}
    assert set(ELEVEN) <= codes
    assert {"TUR", "IRN", "AFG", "CHN", "MNG", "POL", "TKM"} <= codes
    for country in shapes["countries"]:
        assert country["path"].startswith("M") and country["path"].endswith("Z")
        x, y = country["label"]
        assert 0 <= x <= shapes["width"] and 0 <= y <= shapes["height"]
    assert "Natural Earth" in shapes["credit"]
    assert MAP_FILE.stat().st_size < 150_000  # small enough to ship and to inline in a page


def topology():
    """A made-up world-atlas file: Russia with a Crimea-shaped island, Ukraine, and a far-away island."""

    def arc(points):
        # world-atlas quantises and delta-encodes each arc; here the scale is 0.01 degree.
        out, last = [], (0, 0)
        for lon, lat in points:
            x, y = round((lon + 180) * 100), round((lat + 90) * 100)
            out.append([x - last[0], y - last[1]])
            last = (x, y)
        return out

    arcs = [
        arc([(40, 50), (40, 56)]),  # 0: the land border between Ukraine and Russia
        arc([(40, 56), (60, 60), (60, 45), (40, 50)]),  # 1: the rest of Russia's outline
        arc([(40, 50), (30, 46), (30, 52), (40, 56)]),  # 2: the rest of Ukraine's outline
        arc([(33, 45), (36, 45), (36, 46), (33, 46), (33, 45)]),  # 3: "Crimea"
        arc([(-170, -40), (-168, -40), (-168, -38), (-170, -40)]),  # 4: far outside the frame
    ]
    return {
        "type": "Topology",
        "transform": {"scale": [0.01, 0.01], "translate": [-180, -90]},
        "arcs": arcs,
        "objects": {
            "countries": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "MultiPolygon", "id": "643", "properties": {"name": "Russia"}, "arcs": [[[0, 1]], [[3]]]},
                    {"type": "Polygon", "id": "804", "properties": {"name": "Ukraine"}, "arcs": [[2, -1]]},
                    {"type": "Polygon", "id": "196", "properties": {"name": "Cyprus"}, "arcs": [[4]]},
                ],
            }
        },
    }


def test_prepare_map_projects_clips_and_puts_crimea_in_ukraine(tmp_path):
    source, output = tmp_path / "countries-50m.json", tmp_path / "map.json"
    source.write_text(json.dumps(topology()))
    call_command("prepare_map", str(source), output=str(output), stdout=open("/dev/null", "w"))
    shapes = json.loads(output.read_text())
    by_code = {c["alpha3"]: c for c in shapes["countries"]}
    assert set(by_code) == {"RUS", "UKR"}  # the far-away island is clipped away entirely
    assert by_code["UKR"]["path"].count("M") == 2  # mainland and Crimea
    assert by_code["RUS"]["path"].count("M") == 1
    # One land border, between Russia and Ukraine; none between Ukraine and its own Crimea.
    assert shapes["borders"].count("M") == 1
    assert shapes["width"] == 1000


def test_prepare_map_refuses_a_file_that_is_not_world_atlas(tmp_path):
    source = tmp_path / "other.json"
    source.write_text('{"type": "FeatureCollection"}')
    with pytest.raises(CommandError, match="not world-atlas TopoJSON"):
        call_command("prepare_map", str(source), output=str(tmp_path / "map.json"))
    assert not (tmp_path / "map.json").exists()


def test_projection_keeps_east_to_the_right_and_north_up():
    project = Albers(68, 50, 40, 62)
    west, east = project(30, 50), project(100, 50)
    south, north = project(68, 40), project(68, 60)
    assert west[0] < east[0]
    assert north[1] < south[1]  # SVG's y grows downwards
    assert project(-175, 65)[0] > project(170, 65)[0]  # Chukotka stays east of the antimeridian


def test_clipping_and_simplifying():
    square = [(-10, -10), (10, -10), (10, 10), (-10, 10)]
    assert sorted(clip(square, 0, 0, 5, 5)) == [(0, 0), (0, 5), (5, 0), (5, 5)]
    assert clip([(20, 20), (30, 20), (30, 30)], 0, 0, 5, 5) == []
    assert clip_line([(-5, 1), (10, 1)], 0, 0, 5, 5) == [[(0, 1), (5, 1)]]
    assert simplify([(0, 0), (1, 0.01), (2, 0), (3, 0.01), (4, 0)], 0.5) == [(0, 0), (4, 0)]


def bloc(pk, *predecessors):
    return SimpleNamespace(pk=pk, predecessor_ids=list(predecessors))


def test_a_one_to_one_continuation_is_one_line_and_a_merger_or_a_split_is_not():
    community, union, union_state = bloc(1), bloc(2, 1), bloc(3, 2)
    eurasec, customs, eaeu = bloc(4), bloc(5), bloc(6, 4, 5)
    cis, heir_a, heir_b = bloc(7), bloc(8, 7), bloc(9, 7)  # a bloc that split in two
    every = [community, union, union_state, eurasec, customs, eaeu, cis, heir_a, heir_b]
    chosen = [community, union, union_state, eurasec, customs, eaeu, cis, heir_a, heir_b]
    lines = [[b.pk for b in line] for line in lines_of(chosen, every)]
    assert lines == [[1, 2, 3], [4], [5], [6], [7], [8], [9]]
    # Only the blocs chosen (those in existence on the day) join a line; a gap breaks it.
    assert [[b.pk for b in line] for line in lines_of([community, union_state], every)] == [[1], [3]]
