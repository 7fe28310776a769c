"""Write the whole record as one exchange-format file (docs/exchange-format.md), in a stable order."""

from blocs.models import Bloc, Country, Membership, Rank, Reading, Source

from .records import FORMAT


def _iso(obj, name):
    pd = obj.partial_date(name)
    return pd.iso if pd else None


def _claims(record):
    """A record's claims as the file writes them, in a stable order; empty for an undisputed record."""
    rows = [
        {
            "field": c.field,
            "value": _iso(c, "value"),
            "rank": c.rank,
            "reason": c.reason,
            "reading": c.reading.key if c.reading else None,
            "sources": sorted(s.key for s in c.sources.all()),
        }
        for c in record.claims.all()
    ]
    return sorted(rows, key=lambda r: (r["field"], Rank.values.index(r["rank"]), r["value"] or "", r["reading"] or ""))


def _with_claims(row, record):
    claims = _claims(record)
    return {**row, "claims": claims} if claims else row


CLAIMS = ("claims__reading", "claims__sources")


def dump():
    """The whole database as one exchange-format document (a dict, ready for json.dump)."""
    from events.models import Event, EventBloc

    reviewed = {}
    for event_id, slug in EventBloc.objects.filter(lifetime_reviewed=True).values_list("event_id", "bloc__slug"):
        reviewed.setdefault(event_id, []).append(slug)
    return {
        "format": FORMAT,
        "sources": [
            {
                "key": s.key,
                "title": s.title,
                "title_checked": s.title_checked,
                "publisher": s.publisher,
                "kind": s.kind,
                "url": s.url,
                "published": _iso(s, "published"),
                "notes": s.notes,
            }
            for s in Source.objects.order_by("key")
        ],
        "readings": [
            {"key": r.key, "name": r.name, "citation": r.citation, "url": r.url}
            for r in Reading.objects.order_by("key")
        ],
        "countries": [
            {
                "alpha3": c.alpha3,
                "alpha2": c.alpha2,
                "name": c.name,
                "name_ru": c.name_ru,
                "cow_code": c.cow_code,
                "other_names": c.other_names,
                "notes": c.notes,
            }
            for c in Country.objects.order_by("alpha3")
        ],
        "blocs": [
            _with_claims(
                {
                    "slug": b.slug,
                    "name": b.name,
                    "name_ru": b.name_ru,
                    "abbreviations": b.abbreviations,
                    "kind": b.kind,
                    "founded": _iso(b, "founded"),
                    "dissolved": _iso(b, "dissolved"),
                    "parent": b.parent.slug if b.parent else None,
                    "predecessors": sorted(p.slug for p in b.predecessors.all()),
                    "description": b.description,
                    "notes": b.notes,
                    "sources": sorted(s.key for s in b.sources.all()),
                },
                b,
            )
            for b in Bloc.objects.select_related("parent")
            .prefetch_related("predecessors", "sources", *CLAIMS)
            .order_by("slug")
        ],
        "memberships": [
            _with_claims(
                {
                    "country": m.country.alpha3,
                    "bloc": m.bloc.slug,
                    "role": m.role,
                    "start": _iso(m, "start"),
                    "suspension_start": _iso(m, "suspension_start"),
                    "suspension_end": _iso(m, "suspension_end"),
                    "suspension_kind": m.suspension_kind,
                    "end": _iso(m, "end"),
                    "end_reason": m.end_reason,
                    "notes": m.notes,
                    "sources": sorted(s.key for s in m.sources.all()),
                },
                m,
            )
            for m in Membership.objects.select_related("country", "bloc")
            .prefetch_related("sources", *CLAIMS)
            .order_by("bloc__slug", "country__alpha3", "start")
        ],
        "events": [
            _with_claims(
                {
                    "date": _iso(e, "date"),
                    "end_date": _iso(e, "end_date"),
                    "title": e.title,
                    "title_ru": e.title_ru,
                    "kind": e.kind,
                    "description": e.description,
                    "description_ru": e.description_ru,
                    "location": e.location,
                    "notes": e.notes,
                    "blocs": sorted(b.slug for b in e.blocs.all()),
                    "countries": sorted(c.alpha3 for c in e.countries.all()),
                    "memberships": [
                        {"country": m.country.alpha3, "bloc": m.bloc.slug, "start": _iso(m, "start")}
                        for m in sorted(e.memberships.all(), key=lambda m: (m.bloc.slug, m.country.alpha3, m.start))
                    ],
                    "sources": sorted(s.key for s in e.sources.all()),
                    # Written only where a curator reviewed some: most events have none.
                    **({"blocs_reviewed": sorted(reviewed[e.pk])} if e.pk in reviewed else {}),
                },
                e,
            )
            for e in Event.objects.prefetch_related(
                "blocs", "countries", "sources", "memberships__country", "memberships__bloc", *CLAIMS
            ).order_by("date", "title")
        ],
    }
