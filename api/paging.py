"""The pieces every API operation is built from: parameter checks, pages with a cursor, one-query pages.

A page of memberships or events is one query: the records, with their blocs, countries and sources
aggregated in SQL for that page only (`page_query`); docs/performance.md has the figures.
"""

from functools import wraps

import orjson
from django.db import connection, connections
from django.db.models import BooleanField, Prefetch
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.urls import reverse

from blocs.models import Source
from blocs.periods import column_sql
from eurasia.partial_dates import PartialDate

from . import schemas
from .problems import bad_parameter, check_known, decode_cursor, encode_cursor, parse_limit

# The answers every operation may give besides its own.
ERRORS = {304: None, 400: schemas.Problem, 429: schemas.Problem, 503: schemas.Problem}


def takes(*extra):
    """Refuse query parameters the view does not declare (and repeated ones), before it runs."""

    def decorate(view):
        import inspect

        # Every operation reads the record as it stood at ?as_recorded= too (api/middleware.py).
        known = {"cursor", "limit", "as_recorded", *extra}
        for name, parameter in inspect.signature(view).parameters.items():
            if name != "request":
                default = parameter.default
                known.add(getattr(default, "alias", None) or name)

        @wraps(view)
        def checked(request, *args, **kwargs):
            check_known(request, known)
            return view(request, *args, **kwargs)

        return checked

    return decorate


# Output --------------------------------------------------------------------------------------------


def json_response(body):
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def partial(day, precision):
    return None if day is None else {"date": PartialDate(day, precision).iso, "precision": precision}


# PartialDate.iso, cut from the ISO day: the same text for any year from 1 to 9999, without an object per date.
ISO_LENGTH = {"day": 10, "month": 7, "year": 4}


def fast_partial(day, precision):
    return None if day is None else {"date": day.isoformat()[: ISO_LENGTH[precision]], "precision": precision}


def sources_of(record):
    return [{"key": s.key, "title": s.title, "url": s.url or None} for s in record.sources.all()]


SOURCE_FIELDS = ("key", "title", "url")


def with_sources(qs):
    return qs.prefetch_related(Prefetch("sources", queryset=Source.objects.only(*SOURCE_FIELDS).order_by("key")))


class Pager:
    """A page of `limit` records after the cursor's key; the next page's address when there are more."""

    def __init__(self, request, order, kinds, limit, cursor):
        self.request, self.order, self.kinds = request, order, kinds
        self.limit = parse_limit(limit)
        self.after = decode_cursor(cursor, order, kinds)

    def page(self, rows, key, shape, resume=None):
        """The page's answer; `resume`, when the rows stop short, is the key the next page goes on after."""
        rows = list(rows)
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        next_url = None
        if more or resume:
            query = self.request.GET.copy()
            query["cursor"] = encode_cursor(self.order, key(rows[-1]) if more else resume)
            query["limit"] = str(self.limit)
            next_url = self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")
        response = json_response({"data": [shape(row) for row in rows], "next": next_url, "limit": self.limit})
        if next_url:
            response["Link"] = f'<{next_url}>; rel="next"'
        return response


def addresses(request, name, mark):
    """A maker of absolute page addresses for one kind of page: reversed once per request (public/links.py)."""
    pattern = request.build_absolute_uri(reverse(name, args=[mark]))
    mark = str(mark)
    return lambda key: pattern.replace(mark, str(key))


def kept(model, names):
    """The columns `names` of `model`, a table the database keeps with one row per record
    (eurasia/kept_links.py), as (CTE of the page's rows, names) for page_query."""
    quote = connection.ops.quote_name
    key = column_sql(model, "k", model._meta.pk.name)
    picks = ", ".join(column_sql(model, "k", name) for name in names)
    return (
        f"kept AS (SELECT {key} AS owner_id, {picks} FROM {quote(model._meta.db_table)} k "
        f"WHERE {key} = ANY(ARRAY(SELECT id FROM page)))",
        names,
    )


def page_query(qs, fields, order, links, **columns):
    """The page `qs` selects, as dictionaries, each with its links as the database keeps them: one query.

    The queryset (filters, keyset, order and LIMIT) becomes a materialised CTE, and the kept
    table (`links`, from kept()) is read by that page's ids: no query per record, nor one per
    kind of link. (Gathering each kind of link from its link table and the other ends, grouped,
    was most of the query before the links were kept: docs/performance.md, "Read API".)
    """
    compiler = qs.values("id", *fields, **columns).query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    cte, names = links
    picks = "".join(f", kept.{name}" for name in names)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"WITH page AS MATERIALIZED ({sql}), {cte} SELECT page.*{picks} "
            f"FROM page LEFT JOIN kept ON kept.owner_id = page.id ORDER BY {order}",
            params,
        )
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sources_fragment(text):
    """The sources as json_agg wrote them, put in the answer as they are."""
    return orjson.Fragment(text or "[]")


def keyset_after(model, columns, values, descending=False):
    """Rows after `values` in the order of `columns`, as one row comparison the index can answer."""
    table = model._meta.db_table
    left = ", ".join(column_sql(model, table, c) for c in columns)
    right = ", ".join(["%s"] * len(values))
    return RawSQL(f"({left}) {'<' if descending else '>'} ({right})", values, output_field=BooleanField())


def lookup(model, field, name, raw, what):
    """The record a filter names by its natural key; a problem naming the parameter when there is none."""
    if raw is None or raw == "":
        return None
    value = raw.upper() if field == "alpha3" else raw
    try:
        return model.objects.only("pk", field).get(**{field: value})
    except model.DoesNotExist:
        raise bad_parameter(name, f'?{name}=: there is no {what} "{raw[:60]}".')


def page_url(request, name, *args):
    return request.build_absolute_uri(reverse(name, args=args))
