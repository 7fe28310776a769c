"""The read API, /api/v1/: the API object, its error answers as problem documents, and its docs page.

Every record and dataset as JSON, by natural keys, in pages with a cursor. The operations are in
record_views.py (countries, blocs, sources, memberships, events) and dataset_views.py (the /data/
datasets), built from the pieces in paging.py. Answers are built as dictionaries and written with
orjson: the OpenAPI schema (api/schemas.py) describes them, and the schemathesis test holds them
to it. Validating each record through pydantic again on the way out would double the time of a
page of 100. HTTP around the answers (rate limit, ETag, CORS) is api/middleware.py.
"""

from django.db import OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.views import openapi_view

from eurasia.timeouts import query_canceled

from . import claim_views, dataset_views, record_views, release_views
from .problems import Problem, problem_response, timed_out_problem

DESCRIPTION = """Read-only JSON over the record: countries, blocs, sources, membership spells, events,
and the /data/ datasets (members on a date, country-year, dyad-year). Records are named by
natural keys (alpha-3 codes, bloc slugs, source keys); claims say what each source gives for a disputed
date, and ?reading= reads the datasets as a published coding does. Releases are frozen copies with
their citations, and ?as_recorded= reads any answer as the record stood on an earlier day. Lists come in pages: follow `next` (also
sent as a `Link` header) until it is null. Dates carry their precision and never invent a day.
Errors are application/problem+json. See docs/api.md for examples in curl, Python and R."""


class EurasiaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        """An operation's id is its view's name (`events`, `country_year`), wherever the view lives."""
        return operation.view_func.__name__

    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with error answers typed as problem documents and 304 without a body."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                # Every operation takes ?as_recorded= (api/middleware.py, docs/api.md), answered 404 before
                # the record began. It is left out of the parameters: generated values for it would be
                # nearly all refused, and a generator would spend its requests there.
                operation["responses"].setdefault(
                    "404",
                    {
                        "description": "Not found, or nothing recorded yet at ?as_recorded=",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                )
                for code, answer in operation["responses"].items():
                    content = answer.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        answer["content"] = {"application/problem+json": content.pop("application/json")}
                    if int(code) == 304:
                        answer.pop("content", None)
                        answer["description"] = "Not modified since the ETag or date given"
        return schema


api = EurasiaAPI(
    title="Eurasia read API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def on_problem(request, exc):
    return problem_response(exc.status, exc.title, exc.detail, exc.parameter, exc.headers)


@api.exception_handler(ValidationError)
def on_invalid(request, exc):
    error = exc.errors[0]
    name = str(error.get("loc", ["", "?"])[-1])
    return problem_response(400, "Bad parameter", f"?{name}=: {error.get('msg', 'not valid')}.", name)


@api.exception_handler(OperationalError)
def on_timeout(request, exc):
    if not query_canceled(exc):
        raise exc
    return timed_out_problem()


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem_response(404, "Not found", str(exc) or "No such record.")


def docs(request):
    """The interactive documentation at /api/, drawn from ninja's own static copy of Swagger UI."""
    return openapi_view(request, api=api)


api.add_router("", record_views.router)
api.add_router("", dataset_views.router)
api.add_router("", claim_views.router)
api.add_router("", release_views.router)
