"""The shapes of the API's answers, as the OpenAPI schema describes them."""

from typing import Literal

from ninja import Schema
from pydantic import Field

from blocs.models import BlocKind, EndReason, Role, SuspensionKind
from eurasia.partial_dates import Precision
from events.models import EventKind

Roles = Literal[tuple(Role.values)]
EventKinds = Literal[tuple(EventKind.values)]


class PartialDateOut(Schema):
    date: str = Field(description='As precise as the sources: "2012", "2012-06" or "2012-06-28".')
    precision: Literal[tuple(Precision.values)]


class SourceRef(Schema):
    key: str
    title: str
    url: str | None


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    parameter: str | None = Field(None, description="The query parameter at fault, when one is.")


class Country(Schema):
    alpha3: str
    alpha2: str
    cow_code: int | None
    name: str
    other_names: list[str]
    page: str = Field(description="The country's page on the site.")


class Bloc(Schema):
    slug: str
    name: str
    abbreviations: list[str]
    kind: Literal[tuple(BlocKind.values)]
    founded: PartialDateOut | None
    dissolved: PartialDateOut | None
    parent: str | None = Field(description="Slug of the bloc this one sits inside.")
    predecessors: list[str]
    successors: list[str]
    description: str
    sources: list[SourceRef]
    page: str


class Source(Schema):
    key: str
    title: str
    publisher: str
    kind: str
    url: str | None
    published: PartialDateOut | None


class Membership(Schema):
    country: str = Field(description="Alpha-3 code.")
    bloc: str = Field(description="Bloc slug.")
    role: Roles
    start: PartialDateOut
    suspension_start: PartialDateOut | None
    suspension_end: PartialDateOut | None
    suspension_kind: Literal[tuple(SuspensionKind.values)] | None
    end: PartialDateOut | None
    end_reason: Literal[tuple(EndReason.values)] | None
    sources: list[SourceRef]
    page: str = Field(description="The country's page, which lists its spells.")


class Event(Schema):
    date: PartialDateOut
    end_date: PartialDateOut | None
    title: str
    kind: EventKinds
    location: str
    description: str
    blocs: list[str]
    countries: list[str]
    sources: list[SourceRef]
    page: str


class MemberOnDate(Schema):
    as_of: str
    country: str
    country_name: str
    bloc: str
    role: Roles
    start: PartialDateOut
    suspended: bool
    suspension_start: PartialDateOut | None
    end: PartialDateOut | None
    sources: list[str] = Field(description="Keys of the spell's sources.")
    page: str


class CountryYear(Schema):
    country: str
    country_cow_code: int | None
    bloc: str
    year: int
    status: Literal[1, 2, 3, 0, -1] = Field(description="COW IGO status code, as in /data/codebook/.")
    suspended: bool
    page: str = Field(description="The bloc's page.")


class DyadYear(Schema):
    bloc: str
    year: int
    country1: str
    country1_cow_code: int | None
    country2: str
    country2_cow_code: int | None
    country1_suspended: bool
    country2_suspended: bool
    page: str = Field(description="The bloc's page.")


def page_of(item, name):
    """A page of records: the records, and the address of the next page (null on the last)."""
    return type(
        name,
        (Schema,),
        {"__annotations__": {"data": list[item], "next": str | None, "limit": int}},
    )
