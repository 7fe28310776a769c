"""A release's Frictionless Data Package descriptor (datapackage.json): every table, typed and described.

The fields, their types and descriptions come from the /data/ datasets' column lists, which the
codebook also shows, so the descriptor, the codebook and the files say the same thing.
"""

import datetime

from public.dataset_columns import STATUS_CODES
from public.dataset_columns import Column as DatasetColumn
from public.datasets import DATASETS

from . import changes as changelog

KINDS = {"text": "string", "integer": "integer", "date": "date", "year": "year", "code": "integer", "flag": "integer"}
PRECISIONS = ["day", "month", "year"]

# Each table's natural key, and the columns that name a row of another table.
PRIMARY_KEYS = {
    "memberships": ["country_alpha3", "bloc_slug", "start"],
    "members": ["country_alpha3", "bloc_slug", "start"],
    "country-year": ["country_alpha3", "bloc_slug", "year"],
    "dyad-year": ["bloc_slug", "year", "country1_alpha3", "country2_alpha3"],
    "events": ["date", "title"],
    "sources": ["source_key"],
    "countries": ["country_alpha3"],
    "blocs": ["bloc_slug"],
}
FOREIGN_KEYS = {
    "memberships": [("country_alpha3", "countries", "country_alpha3"), ("bloc_slug", "blocs", "bloc_slug")],
    "members": [("country_alpha3", "countries", "country_alpha3"), ("bloc_slug", "blocs", "bloc_slug")],
    "country-year": [("country_alpha3", "countries", "country_alpha3"), ("bloc_slug", "blocs", "bloc_slug")],
    "dyad-year": [
        ("bloc_slug", "blocs", "bloc_slug"),
        ("country1_alpha3", "countries", "country_alpha3"),
        ("country2_alpha3", "countries", "country_alpha3"),
    ],
    "blocs": [("parent_slug", "", "bloc_slug")],  # "" is the table itself
}
CHANGE_COLUMNS = [
    DatasetColumn(
        "record", "text", "", "The kind of record: " + ", ".join(changelog.RECORDS) + " (the dataset it is in)."
    ),
    DatasetColumn("record_key", "text", "", "The record's natural key in that dataset, its parts joined by ' / '."),
    DatasetColumn("change", "text", "", "added, removed or changed."),
    DatasetColumn("field", "text", "", "For a change: the column whose value changed."),
    DatasetColumn("old_value", "text", "", "For a change: the value in the previous release."),
    DatasetColumn("new_value", "text", "", "For a change: the value in this release."),
    DatasetColumn("source_keys", "text", "", "The sources the record cites, separated by semicolons."),
]


def field(column):
    described = {"name": column.name, "type": KINDS[column.kind], "description": column.description}
    if column.kind == "date":
        described["format"] = "%Y-%m-%d"
    constraints = {}
    if column.name.endswith("_precision"):
        constraints["enum"] = PRECISIONS
    elif column.kind == "code":
        constraints["enum"] = [code for code, _label, _when in STATUS_CODES]
    elif column.kind == "flag":
        constraints["enum"] = [0, 1]
    if constraints:
        described["constraints"] = constraints
    return described


def schema(slug, columns):
    described = {"fields": [field(c) for c in columns], "missingValues": [""]}
    if slug in PRIMARY_KEYS:
        described["primaryKey"] = PRIMARY_KEYS[slug]
    keys = [
        {"fields": [own], "reference": {"resource": table, "fields": [their]}}
        for own, table, their in FOREIGN_KEYS.get(slug, [])
    ]
    if keys:
        described["foreignKeys"] = keys
    return described


def resource(record, name, title, description, columns, slug):
    """A CSV file's resource: where it is, what it holds, its size and checksum."""
    return {
        "name": name,
        "path": record.name,
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": record.size,
        "hash": f"sha256:{record.sha256}",
        "dialect": {"delimiter": ",", "header": True, "doubleQuote": True},
        "schema": schema(slug, columns),
    }


def descriptor(version, published_at, notes, files):
    """The datapackage.json of a release whose files (ReleaseFile rows, unsaved) are written."""
    resources, others = [], []
    for record in files:
        spec = DATASETS.get(record.dataset)
        if spec is not None and record.format == "csv":
            resources.append(
                resource(
                    record, spec.slug, spec.title, f"{spec.description} Unit: {spec.unit}.", spec.columns, spec.slug
                )
            )
        elif record.name == "changes.csv":
            resources.append(
                resource(
                    record,
                    "changes",
                    "Changes since the previous release",
                    "Records added, removed and changed since the previous release, field by field.",
                    CHANGE_COLUMNS,
                    "changes",
                )
            )
        else:
            others.append({"path": record.name, "format": record.format, "bytes": record.size, "sha256": record.sha256})
    return {
        "profile": "tabular-data-package",
        "name": "eurasia-blocs",
        "title": "Eurasia's blocs",
        "description": "A curated, sourced history of Eurasia's alliances and unions: who belonged to what, and when.",
        "version": version,
        "created": published_at.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "homepage": f"/data/releases/{version}/",
        "keywords": ["alliances", "international organisations", "Eurasia", "membership", "Correlates of War"],
        "notes": notes,
        "resources": resources,
        # The same tables as XLSX workbooks, and the notes: not tables a CSV reader checks, but checksummed too.
        "eurasia:otherFiles": others,
    }
