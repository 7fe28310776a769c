"""The shapes of the API's answers, as the OpenAPI schema describes them."""

from typing import Literal

from ninja import Schema
from pydantic import Field

from blocs.models import BlocKind, EndReason, Rank, Role, SuspensionKind
from eurasia.partial_dates import Precision
from events.models import EventKind

Roles = Literal[tuple(Role.values)]
EventKinds = Literal[tuple(EventKind.values)]
Ranks = Literal[tuple(Rank.values)]
RecordKinds = Literal["membership", "bloc", "event"]


DISPUTED = "The sources disagree on one of its dates: GET /api/v1/claims lists what each says."


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
    disputed: bool = Field(description=DISPUTED)
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
    disputed: bool = Field(description=DISPUTED)
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
    disputed: bool = Field(description=DISPUTED)
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


class Fact(Schema):
    country: str | None = Field(description="A spell's country (alpha-3); null for a bloc or an event.")
    bloc: str | None = Field(description="A spell's bloc, or the bloc itself (slug); null for an event.")
    spell_start: PartialDateOut | None = Field(description="The start the record stores for the spell: its key.")
    event_date: PartialDateOut | None = Field(description="The event's stored date: with its title, its key.")
    event_title: str | None
    page: str = Field(description="The record's page: the spell's country, the bloc or the event.")


class Claim(Schema):
    record_kind: RecordKinds
    fact: Fact = Field(description="The record whose date the claim is about, by its natural keys.")
    field: str = Field(
        description="Which date: start, end, suspension_start, suspension_end, founded, dissolved, date."
    )
    value: PartialDateOut | None = Field(description='The date the claim gives; null for "no such date".')
    rank: Ranks
    reason: str
    reading: str | None = Field(description="Key of the reading it follows (GET /api/v1/readings); null for none.")
    sources: list[str] = Field(description="Keys of the sources that give this value.")
    disputed: bool = Field(description="The date has a claim other than the preferred one.")


class Reading(Schema):
    key: str = Field(description="The key ?reading= takes.")
    name: str
    citation: str
    url: str | None


class ReleaseFile(Schema):
    name: str
    format: Literal["csv", "xlsx", "json", "text"]
    dataset: str | None = Field(description="The /data/ dataset it freezes; null for the descriptor and checksums.")
    rows: int | None
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="SHA-256 checksum, in hexadecimal.")
    url: str = Field(description="The file itself.")
    rows_url: str | None = Field(description="A CSV table's rows as JSON pages.")


class ReleaseCitation(Schema):
    text: str = Field(description="The citation as a reference list gives it.")
    bibtex: str


class Release(Schema):
    version: str = Field(description="YYYY.MM, or YYYY.MM.N for a correction in the same month.")
    published: str = Field(description="When it was published (ISO 8601 date and time).")
    notes: str
    previous: str | None = Field(description="The version its changes are counted from.")
    changes: dict[str, dict[str, int]] = Field(description="Records added, removed and changed, by kind of record.")
    withdrawn: str | None = Field(description="When it was withdrawn, if it was.")
    withdrawal_reason: str | None
    citation: ReleaseCitation
    page: str
    files: list[ReleaseFile]


def page_of(item, name):
    """A page of records: the records, and the address of the next page (null on the last)."""
    return type(
        name,
        (Schema,),
        {"__annotations__": {"data": list[item], "next": str | None, "limit": int}},
    )
