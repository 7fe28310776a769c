"""Disputed dates in a synthetic world: claims on a share of spells, events and blocs, and a couple of readings.

About 4 % of spells, 1.5 % of events and 5 % of blocs get a disputed date, as the real record has
them: the preferred claim holds the date the record stores (the database's deferred triggers check
it at commit), one alternative gives another date (sometimes to a coarser precision, sometimes
following a reading), and about one fact in ten also has a deprecated claim, refuted with a reason
(for a spell's end, often "no such date": it never formally ended). Every claim cites one or two
sources. The claims draw from their own generator, seeded from the world's seed, so that a world's
other records are the same with or without them, and the same seed gives the same claims.
"""

import datetime
import random

from django.db import connection

from blocs.models import Bloc, BlocClaim, Membership, MembershipClaim, Reading
from events.models import Event, EventClaim

DAY, MONTH, YEAR = "day", "month", "year"
SPELL_SHARE, EVENT_SHARE, BLOC_SHARE = 0.04, 0.015, 0.05
DEPRECATED_SHARE, READING_SHARE, COARSER_SHARE = 0.1, 0.3, 0.2

# (id, key, name, citation, url): the datasets whose coding the alternatives follow.
READINGS = [
    (1, "synthetic-atop", "ATOP (synthetic)", "Alliance Treaty Obligations and Provisions, synthetic coding.", ""),
    (2, "synthetic-cow", "COW IGO (synthetic)", "Correlates of War IGO data, synthetic coding.", ""),
]
READING_COLUMNS = ("id", "key", "name", "citation", "url")
CLAIM_COLUMNS = ("id", "created_at", "updated_at", "field", "value", "value_precision", "rank", "reason", "reading")
# (claim table, record, the record's dates that may be disputed, the share of records disputed)
CLAIMS = [
    (MembershipClaim, Membership, ("start", "end"), SPELL_SHARE),
    (EventClaim, Event, ("date",), EVENT_SHARE),
    (BlocClaim, Bloc, ("founded", "dissolved"), BLOC_SHARE),
]

ALTERNATIVE_REASONS = {
    "start": [
        "signature of the accession protocol",
        "deposit of the instrument of ratification",
        "as coded by the dataset",
    ],
    "end": ["notice of withdrawal given", "withdrawal took effect", "last session attended"],
    "date": ["date of the first reports", "date given by the secretariat", "date in the agency's wire"],
    "founded": ["charter signed", "charter in force", "first summit"],
    "dissolved": ["last summit", "dissolution protocol in force"],
}
PREFERRED_REASONS = {
    "start": "entry into force for the member",
    "end": "withdrawal in force",
    "date": "date in the official communiqué",
    "founded": "founding treaty in force",
    "dissolved": "dissolution in force",
}


def _round(day, precision):
    if precision == YEAR:
        return day.replace(month=1, day=1)
    if precision == MONTH:
        return day.replace(day=1)
    return day


class Disputes:
    """The claim rows of one world: call rows(kind) for each kind of record after it is loaded."""

    def __init__(self, seed, sources, created):
        self.rng = random.Random(f"claims-{seed}")
        self.sources = sources
        self.created = created
        self.next_pk = {model: 1 for model, *_ in CLAIMS}

    def facts(self, cursor, owner, fields, share):
        """(owner id, field, date, precision) of a sample of `owner`'s records, in id order."""
        cursor.execute(f"SELECT max(id) FROM {connection.ops.quote_name(owner._meta.db_table)}")
        top = cursor.fetchone()[0] or 0
        # At least one, so that even the tiny world has a disputed date of every kind.
        chosen = sorted(self.rng.sample(range(1, top + 1), min(top, max(1, round(top * share)))))
        columns = ", ".join(f'"{f}", "{f}_precision"' for f in fields)
        cursor.execute(
            f"SELECT id, {columns} FROM {connection.ops.quote_name(owner._meta.db_table)} WHERE id = ANY(%s) ORDER BY id",
            [chosen],
        )
        for row in cursor.fetchall():
            # Most disputes are about the first date; a closed record's last date is disputed too.
            values = [(f, row[1 + 2 * i], row[2 + 2 * i]) for i, f in enumerate(fields) if row[1 + 2 * i]]
            if not values:
                continue
            field, day, precision = values[-1] if len(values) > 1 and self.rng.random() < 0.3 else values[0]
            yield row[0], field, day, precision

    def other_value(self, day, precision):
        """A date the sources might give instead: near the stored one, sometimes less precise."""
        rng = self.rng
        for _ in range(10):
            if precision == DAY:
                shifted = day + datetime.timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 400))
            elif precision == MONTH:
                months = day.year * 12 + day.month - 1 + rng.choice((-1, 1)) * rng.randint(1, 24)
                shifted = datetime.date(months // 12, months % 12 + 1, 1)
            else:
                shifted = day.replace(year=day.year + rng.choice((-1, 1)) * rng.randint(1, 3))
            coarser = {DAY: MONTH, MONTH: YEAR, YEAR: YEAR}[precision] if rng.random() < COARSER_SHARE else precision
            value = _round(shifted, coarser)
            if (value, coarser) != (day, precision) and datetime.date(1800, 1, 1) <= value <= datetime.date(2030, 1, 1):
                return value, coarser
        return None

    def rows(self, model, facts, links):
        """Claim rows for `facts`; (claim id, source id) pairs go to `links`."""
        rng, created = self.rng, self.created
        pk = self.next_pk[model]
        for owner, field, day, precision in facts:
            other = self.other_value(day, precision)
            if other is None:
                continue
            claims = [(day, precision, "preferred", PREFERRED_REASONS[field], None)]
            reading = rng.choice(READINGS)[0] if rng.random() < READING_SHARE else None
            claims.append((*other, "alternative", rng.choice(ALTERNATIVE_REASONS[field]), reading))
            if rng.random() < DEPRECATED_SHARE:
                if field in ("end", "dissolved") and rng.random() < 0.5:
                    refuted = (None, DAY)
                    why = "refuted: it never formally ended"
                else:
                    refuted = self.other_value(day, precision)
                    why = "refuted: a misprint in a secondary source"
                if refuted and refuted[:2] not in {c[:2] for c in claims}:
                    claims.append((*refuted, "deprecated", why, None))
            for value, value_precision, rank, reason, reading_id in claims:
                for source in {rng.randint(1, self.sources) for _ in range(rng.choice((1, 1, 2)))}:
                    links.append((pk, source))
                yield (pk, created, created, field, value, value_precision, rank, reason, reading_id, owner)
                pk += 1
        self.next_pk[model] = pk


def reading_history(cursor, reason):
    """One "+" history row for each reading the world wrote."""
    history = Reading.history.model
    columns = ", ".join(f'"{c}"' for c in READING_COLUMNS)
    cursor.execute(
        f"""INSERT INTO {connection.ops.quote_name(history._meta.db_table)}
              ({columns}, history_date, history_change_reason, history_type)
            SELECT {columns}, %s, %s, '+' FROM {connection.ops.quote_name(Reading._meta.db_table)} ORDER BY id""",
        [datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), reason[:100]],
    )
    return cursor.rowcount
