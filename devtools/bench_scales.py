"""Public pages and admin lists drawn on the world loaded and on the tiny world, in one run.

`make bench ONLY=scales`, and part of `make bench`.

A page that shows the same amount should cost much the same whatever the database holds. Each page
is drawn afresh and timed in turn with /healthz, here and on the tiny world (seed 1), which is built
in a database of its own beside this one and measured by a child process in the same run; the two
ratios to /healthz are compared, so that the machine's load at either moment cancels out. The target
is 1.5x (docs/performance.md). A page that shows more here than on the tiny world (over a quarter
more HTML: the largest bloc draws a hundred spells a page here and eight there) is reported with no
verdict, since it does not show the same amount.

The admin's change lists and largest change forms are drawn the same way on both worlds, each held to
its own target against the trivial view (20x for a list, 40x for a form), so that the two figures
of each page, side by side, tell how much of its cost is the admin's drawing and how much the data.
"""

import gc
import os
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import quote

from django.db import connection
from django.test import Client

from devtools.synthetic import SCALES

from .bench import (
    BASE_DIR,
    HEALTH,
    TRIVIAL,
    BenchError,
    Options,
    Result,
    admin_paths,
    bench_urls,
    child,
    data_size,
    database_url,
    fetch,
    forget_kept,
    paired_ms,
    signed_in,
)

# At most this much more HTML here than on the tiny world: the page shows the same amount.
SAME_AMOUNT = 1.25
LIMIT = 1.5
LIST_LIMIT, FORM_LIMIT = 20, 40  # the admin's, against the trivial view (docs/performance.md)


def drawn_pages(bench, repeat):
    """(label, path, drawn ms, /healthz ms, bytes of HTML) of each public page, drawn afresh each time."""
    client = Client()
    pages = []
    for label, path in bench.public_paths():
        drawn, health = paired_ms(client, path, repeat, before=forget_kept, baseline=HEALTH)
        forget_kept()
        pages.append((label, path, drawn, health, fetch(client, path)))
    forget_kept()
    return pages


def drawn_admin(repeat):
    """(label, path, drawn ms, trivial ms, bytes of HTML, target) of each admin list and change form, drawn afresh."""
    lists, forms = admin_paths()
    pages = [(label, path, LIST_LIMIT) for label, path, _model in lists]
    pages += [(label, path, FORM_LIMIT) for label, path in forms]
    drawn = []
    with signed_in() as client:
        for label, path, limit in pages:
            ms, trivial = paired_ms(client, path, repeat, before=forget_kept, baseline=TRIVIAL)
            forget_kept()
            drawn.append((label, path, ms, trivial, fetch(client, path), limit))
    forget_kept()
    return drawn


def drawn_pages_here(repeat):
    """The body of the child process that measures the tiny world, as the parent measures its own."""
    from .bench import Bench

    gc.freeze()  # as the parent does, and a server's worker (eurasia/wsgi.py)
    with bench_urls():
        return {
            "pages": drawn_pages(Bench(Options(repeat=repeat), lambda line: None), repeat),
            "admin": drawn_admin(repeat),
        }


def is_tiny():
    tiny = SCALES["tiny"]
    sizes = {"countries": tiny.countries, "blocs": tiny.blocs, "memberships": tiny.memberships, "events": tiny.events}
    return data_size() == sizes


@contextmanager
def tiny_world():
    """The URL of a database holding the tiny world: this one if it is the tiny world, else one made for the run."""
    if is_tiny():
        yield database_url()
        return
    name = f"{connection.settings_dict['NAME']}_tiny_bench"[:63]
    url = f"{database_url().rsplit('/', 1)[0]}/{quote(name, safe='')}"
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        for command in (["migrate", "-v", "0"], ["make_world", "--scale", "tiny", "--seed", "1"]):
            done = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=BASE_DIR,
                capture_output=True,
                text=True,
                env={**os.environ, "DATABASE_URL": url},
            )
            if done.returncode != 0:
                raise BenchError(f"the tiny world could not be made ({command[0]}): {done.stderr.strip()[-2000:]}")
        yield url
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


def scales(bench):
    """Each public page drawn here against the same page drawn on the tiny world, both as ratios to /healthz."""
    bench.heading(
        "Public pages drawn here vs on the tiny world, each as a ratio to /healthz taken in turn", "tiny world"
    )
    here = drawn_pages(bench, bench.options.repeat)
    admin_here = drawn_admin(bench.options.repeat)
    with tiny_world() as url:
        measured = child("drawn-pages", bench.options.repeat, url=url)
    tiny = {label: (ms, health, size) for label, _path, ms, health, size in measured["pages"]}
    for label, _path, ms, health, size in here:
        if label not in tiny:  # a page the tiny world has no record for (no disputed spells, say)
            continue
        tiny_ms, tiny_health, tiny_size = tiny[label]
        same = size <= SAME_AMOUNT * tiny_size
        note = f"{ms:,.1f} ms vs {tiny_ms:,.1f} ms; {size / 1024:,.0f} KB vs {tiny_size / 1024:,.0f} KB of HTML"
        if not same:
            note += ": shows more here, no target"
        ratios = (ms / health, tiny_ms / tiny_health)
        bench.add(Result("scales", f"{label}, drawn", *ratios, "x", LIMIT if same else None, note=note))
    admin(bench, admin_here, measured["admin"])


def admin(bench, here, tiny):
    """Each admin list and change form drawn here and on the tiny world, both against the trivial view.

    Labels name the largest bloc and country, which differ between the worlds: pages are paired in order.
    """
    bench.heading("Admin lists and change forms drawn here and on the tiny world, vs the trivial view", "trivial view")
    for (label, _path, ms, trivial, size, limit), (_, tiny_path, tiny_ms, tiny_trivial, tiny_size, _) in zip(
        here, tiny, strict=True
    ):
        note = f"{size / 1024:,.0f} KB of HTML"
        bench.add(Result("scales", f"admin {label}, here", ms, trivial, "ms", limit, note=note))
        note = f"{tiny_size / 1024:,.0f} KB of HTML; {tiny_path}"
        bench.add(Result("scales", f"admin {label}, tiny world", tiny_ms, tiny_trivial, "ms", limit, note=note))
