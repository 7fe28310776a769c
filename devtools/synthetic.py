"""A synthetic world: invented countries, blocs, membership spells, events and sources, reproducible from a seed.

The world is shaped like the real record, only larger: a few blocs with nearly every country and
many small ones, several spells per country and bloc for some, suspensions, every role, dates
known to the day, the month or only the year, parents and successors, and events that cite
sources and name the blocs and countries they concern. It is loaded with COPY in one
transaction, and PostgreSQL checks every constraint on the way in, as it does for a curator.

Each record gets one history row ("+", created) so that the admin's history pages work: the
rows are copied from the freshly loaded tables with INSERT … SELECT in the same transaction.
"""

import datetime
import random
import time
from array import array
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from blocs.models import (
    Bloc,
    BlocKind,
    BlocSource,
    Country,
    EndReason,
    Membership,
    MembershipSource,
    Reading,
    Role,
    Source,
    Succession,
    SuspensionKind,
)
from eurasia.kept_links import kept_models
from eurasia.partial_dates import Precision
from events.models import Event, EventBloc, EventCountry, EventKind, EventSource
from jobs.progress import Silent

from .disputes import CLAIM_COLUMNS, CLAIMS, READING_COLUMNS, READINGS, Disputes, reading_history


@dataclass(frozen=True)
class Scale:
    countries: int
    blocs: int
    memberships: int
    events: int
    sources: int


SCALES = {
    "tiny": Scale(countries=12, blocs=10, memberships=80, events=400, sources=50),
    "small": Scale(countries=120, blocs=200, memberships=10_000, events=50_000, sources=1_000),
    "medium": Scale(countries=250, blocs=1_000, memberships=100_000, events=500_000, sources=10_000),
    "full": Scale(countries=250, blocs=2_000, memberships=200_000, events=1_000_000, sources=20_000),
}

# Records carry fixed timestamps, not now(), so that the same seed gives the same rows.
CREATED = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
FIRST_DAY = datetime.date(1816, 1, 1)
LAST_DAY = datetime.date(2025, 12, 31)
MAX_SPELLS_PER_PAIR = 12

SYLLABLES = (
    "ka ra vo li sta na mir bel gor dan tal ves ko zan ur al ti sha ber nov lan ost mar sev"
    " dor ash kel tur yar pol chi vek rus ta den ba il ok ze pra hor ma"
).split()
COUNTRY_ENDINGS = ["ia", "stan", "ova", "land", "ar", "esh", "ina", "ek", "ora", "yan"]
CITY_ENDINGS = ["grad", "sk", "abad", "ovo", "polis", "kent", "burg", "ino", "ar", "yevo"]
REGIONS = (
    "Northern Southern Eastern Western Central Caspian Baltic Pontic Steppe Danubian Caucasian Siberian"
    " Transoxian Amur Volga Carpathian Altai Aral Black-Sea Arctic Eurasian Pamir Ural Adriatic Balkan"
    " Oxus Tian-Shan Dnieper Vistula Anatolian Persian Mongolian Levantine Khorasan Ferghana Yenisei"
).split()
THEMES = {
    BlocKind.MILITARY_ALLIANCE: ["Defence Pact", "Security Treaty", "Mutual Assistance Pact", "Defence League"],
    BlocKind.CUSTOMS_UNION: ["Customs Union", "Tariff Union", "Trade Zone"],
    BlocKind.ECONOMIC_UNION: ["Economic Union", "Economic Community", "Energy Community", "Monetary Union"],
    BlocKind.POLITICAL: ["Council", "Assembly", "Commonwealth", "Cooperation Organisation", "Forum"],
    BlocKind.OTHER: ["Rail Compact", "Water Commission", "River Authority", "Space Agency"],
}
PUBLISHERS = [
    ("Steppe Herald", "news"),
    ("Caspian Wire", "news"),
    ("Volga Telegraph", "news"),
    ("Ministry of Foreign Affairs", "government"),
    ("Treaty Series", "treaty text"),
    ("Bloc Secretariat", "bloc official"),
    ("Journal of Eurasian Studies", "scholarly"),
    ("Amur Daily", "news"),
    ("Archive of Alliances", "archive"),
    ("Wiki mirror", "wiki mirror"),
]
TOPICS = [
    "border security",
    "a common customs tariff",
    "energy transit",
    "joint air defence",
    "migration of labour",
    "the budget of the secretariat",
    "admission of new members",
    "a peacekeeping mandate",
    "rail corridors",
    "water sharing on the rivers",
    "sanctions",
    "the observer states' status",
]
# Plain strings rather than the choices' enum members: hashing and dumping a str subclass costs
# a Python call per value, and there are millions of values.
DAY, MONTH, YEAR = str(Precision.DAY), str(Precision.MONTH), str(Precision.YEAR)
ROLE_WEIGHTS = [
    (str(r), w)
    for r, w in [
        (Role.MEMBER, 65),
        (Role.OBSERVER, 13),
        (Role.CANDIDATE, 8),
        (Role.ASSOCIATE, 7),
        (Role.PARTICIPANT, 5),
        (Role.DIALOGUE_PARTNER, 2),
    ]
]
GENERIC_KINDS = [
    (str(EventKind.SUMMIT), 30),
    (str(EventKind.EXERCISE), 20),
    (str(EventKind.ANNOUNCEMENT), 20),
    (str(EventKind.TREATY_SIGNED), 8),
    (str(EventKind.DEPLOYMENT), 8),
    (str(EventKind.CRISIS), 8),
    (str(EventKind.OTHER), 6),
]
# How a generic event is told, by kind: its title and what the representatives did.
TITLES = {
    "summit": "{short} summit{where}",
    "exercise": "{short} exercise {region} Shield{where}",
    "announcement": "{short} secretariat statement on {topic}",
    "treaty_signed": "{short} protocol on {topic} signed{where}",
    "deployment": "{short} contingent deployed{where}",
    "crisis": "Crisis over {topic} in the {short}",
    "other": "{short} meeting on {topic}{where}",
}
VERBS = {
    "summit": "met to discuss",
    "exercise": "trained together for",
    "announcement": "issued a statement on",
    "treaty_signed": "signed a protocol on",
    "deployment": "deployed forces concerning",
    "crisis": "disagreed openly over",
    "other": "met on",
}
MULTI_DAY = {"summit", "exercise", "crisis"}
# Leading "=", "+" or "-" occur in real notes; exports must neutralise them for spreadsheets.
ODD_NOTES = ["=disputed: see the treaty text", "+1 day in the Russian version", "-- date from a wiki mirror"]


def _choices(weighted):
    values, weights = zip(*weighted, strict=True)
    return list(values), list(weights)


def _days(day):
    return (day - FIRST_DAY).days


def _day(n):
    return FIRST_DAY + datetime.timedelta(days=n)


def _round(day, precision):
    if precision == YEAR:
        return day.replace(month=1, day=1)
    if precision == MONTH:
        return day.replace(day=1)
    return day


class World:
    """Generates the rows of one world; every random draw comes from one seeded generator."""

    def __init__(self, scale, seed):
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.countries = []  # (id, name, alpha3)
        self.blocs = []  # dicts with id, name, short, founded, dissolved, ...
        self.roles, self.role_weights = _choices(ROLE_WEIGHTS)
        self.kinds, self.kind_weights = _choices(GENERIC_KINDS)
        self.cities = self._cities()

    # Draws: faster than random.choice/randint for millions of rows, and just as reproducible.

    def _pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def _between(self, low, high):
        """A whole number from low to high, both included."""
        return low + int(self.random() * (high - low + 1))

    def _below(self, low, high):
        """A whole number from low up to, not including, high."""
        return low + int(self.random() * (high - low))

    # Names ------------------------------------------------------------------------------------

    def _word(self, endings):
        parts = self._between(1, 2)
        stem = "".join(self._pick(SYLLABLES) for _ in range(parts))
        return (stem + self._pick(endings)).capitalize()

    def _cities(self):
        names = set()
        while len(names) < 400:
            names.add(self._word(CITY_ENDINGS))
        return sorted(names)

    def _precision(self, day_share=75, month_share=17):
        roll = self._below(0, 100)
        if roll < day_share:
            return DAY
        if roll < day_share + month_share:
            return MONTH
        return YEAR

    def _created(self, n):
        return CREATED + datetime.timedelta(seconds=n)

    # Sources, countries, blocs ----------------------------------------------------------------

    def source_rows(self):
        keys = set()
        for pk in range(1, self.scale.sources + 1):
            publisher, kind = self._pick(PUBLISHERS)
            prefix = "-".join(publisher.lower().split()[:2])
            key = f"{prefix}-{self._below(100_000, 1_000_000)}"
            while key in keys:
                key = f"{prefix}-{self._below(100_000, 10_000_000)}"
            keys.add(key)
            published = None
            precision = DAY
            if self.rng.random() < 0.9:
                precision = self._precision(80, 15)
                published = _round(_day(self._below(_days(datetime.date(1900, 1, 1)), _days(LAST_DAY))), precision)
            title = (
                f"{self._pick(['Report', 'Communiqué', 'Statement', 'Article', 'Protocol'])} on {self._pick(TOPICS)}"
            )
            url = f"https://example.org/{prefix}/{key.rsplit('-', 1)[1]}" if self.rng.random() < 0.85 else ""
            created = self._created(pk)
            yield (pk, created, created, key, title, publisher, kind, url, published, precision, "")

    def country_rows(self):
        names, alpha3s, alpha2s = set(), set(), set()
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        cow_codes = self.rng.sample(range(2, 1000), self.scale.countries)
        for pk in range(1, self.scale.countries + 1):
            name = self._word(COUNTRY_ENDINGS)
            while name in names:
                name = self._word(COUNTRY_ENDINGS)
            names.add(name)
            upper = "".join(ch for ch in name.upper() if ch in letters)
            alpha3 = (upper + "XXX")[:3]
            while alpha3 in alpha3s:
                alpha3 = upper[0] + "".join(self._pick(letters) for _ in range(2))
            alpha3s.add(alpha3)
            alpha2 = alpha3[:2]
            while alpha2 in alpha2s:
                alpha2 = "".join(self._pick(letters) for _ in range(2))
            alpha2s.add(alpha2)
            other = f"{name[:-1]}y; Republic of {name}" if self.rng.random() < 0.3 else ""
            self.countries.append((pk, name, alpha3))
            created = self._created(pk)
            yield (pk, created, created, name, alpha2, alpha3, cow_codes[pk - 1], other, "")

    def bloc_rows(self):
        """Blocs, largest first: the first has every country, the rest fall off like real organisations."""
        names, slugs = set(), set()
        kinds = list(THEMES)
        for pk in range(1, self.scale.blocs + 1):
            kind = self._pick(kinds)
            name = f"{self._pick(REGIONS).replace('-', ' ')} {self._pick(THEMES[kind])}"
            ordinal = 1
            base = name
            while name in names:
                ordinal += 1
                name = f"{base} ({ordinal})"
            names.add(name)
            initials = "".join(w[0] for w in base.replace("(", "").split() if w[0].isalpha()).upper()
            short = initials if ordinal == 1 else f"{initials}-{ordinal}"
            slug = short.lower()
            n = 1
            while slug in slugs:
                n += 1
                slug = f"{short.lower()}-{n}"
            slugs.add(slug)
            founded_precision = self._precision(70, 20)
            # Most blocs are post-1945, as in the real record.
            year = 1816 + int(205 * self.rng.random() ** 0.4)
            founded = _round(datetime.date(year, self._between(1, 12), self._between(1, 28)), founded_precision)
            dissolved, dissolved_precision = None, DAY
            if pk > 1 and self.rng.random() < 0.3 and founded.year < 2020:
                dissolved_precision = self._precision(70, 20)
                low = _days(founded) + 3 * 366
                dissolved = _round(_day(self._below(low, max(low + 1, _days(LAST_DAY) - 366))), dissolved_precision)
            if pk > 1 and dissolved is None and self.rng.random() < 0.02:
                founded = None  # a few blocs whose founding date no source gives
                founded_precision = DAY
            parent_id = None
            if pk == 4:
                parent_id = 1  # at least one force inside the largest bloc, like the CRRF in the CSTO
            elif pk > 4 and self.rng.random() < 0.1:
                parent_id = self._below(1, pk)
            abbreviations = [short] + ([f"{short}O"] if self.rng.random() < 0.2 else [])
            bloc = {
                "id": pk,
                # The days on which its events can fall, as day numbers.
                "first_day": _days(founded or datetime.date(1900, 1, 1)),
                "last_day": _days(min(dissolved or LAST_DAY, LAST_DAY)),
                "name": name,
                "short": short,
                "founded": founded,
                "dissolved": dissolved,
                "dissolved_precision": dissolved_precision,
            }
            self.blocs.append(bloc)
            description = (
                f"The {name} brings together states of the {base.split()[0]} region on {self._pick(TOPICS)}"
                f" and {self._pick(TOPICS)}."
            )
            created = self._created(pk)
            yield (
                pk,
                created,
                created,
                slug,
                name,
                abbreviations,
                kind,
                founded,
                founded_precision,
                dissolved,
                dissolved_precision,
                description,
                "",
                parent_id,
            )

    def succession_rows(self):
        """Later blocs continuing dissolved earlier ones."""
        dissolved = [b for b in self.blocs if b["dissolved"]]
        pairs = set()
        for bloc in self.blocs:
            if not bloc["founded"] or self.rng.random() >= 0.1:
                continue
            earlier = [b for b in dissolved[:200] if b["id"] != bloc["id"] and b["dissolved"] <= bloc["founded"]]
            for predecessor in self.rng.sample(earlier, min(len(earlier), self._between(1, 2))):
                pairs.add((predecessor["id"], bloc["id"]))
        if not pairs:
            # Small worlds still get one succession: a bloc founded after an earlier one dissolved.
            later = [
                (d["id"], b["id"])
                for d in dissolved
                for b in self.blocs
                if (b["founded"] or FIRST_DAY) >= d["dissolved"]
            ]
            pairs.update(later[:1])
        return [(n, *pair) for n, pair in enumerate(sorted(pairs), start=1)]

    def source_links(self, count, low, high):
        """(owner id, source id) pairs: each owner cites between `low` and `high` distinct sources."""
        owners, sources = array("q"), array("q")
        for owner in range(1, count + 1):
            n = self._between(low, high)
            for source in {self._below(1, self.scale.sources + 1) for _ in range(n)}:
                owners.append(owner)
                sources.append(source)
        return owners, sources

    # Membership spells --------------------------------------------------------------------------

    def _spells_per_bloc(self):
        """Spell counts per bloc that add up exactly to the scale: the first bloc is as large as can be."""
        total, blocs, countries = self.scale.memberships, self.scale.blocs, self.scale.countries
        cap = 4 * countries
        if not blocs <= total <= cap * blocs:
            raise ValueError(f"{total} spells do not fit {blocs} blocs of at most {cap} spells each.")
        first = min(cap, total - (blocs - 1))
        rest = total - first
        weights = [1 / (rank + 2) ** 0.9 for rank in range(blocs - 1)]
        counts = [min(cap, max(1, int(w * rest / sum(weights)))) for w in weights]
        gap, i = rest - sum(counts), 0
        while gap:
            j = i % len(counts)
            if gap > 0 and counts[j] < cap:
                counts[j] += 1
                gap -= 1
            elif gap < 0 and counts[j] > 1:
                counts[j] -= 1
                gap += 1
            i += 1
        return [first, *counts]

    def membership_rows(self):
        """Yield spell rows; remember what events need (the spells' dates, each bloc's countries)."""
        self.members = {}  # bloc id -> list of country ids
        self.milestones = []  # (membership id, kind, date, precision, bloc id, country id)
        pk = 0
        for bloc, spells in zip(self.blocs, self._spells_per_bloc(), strict=True):
            per_country = self.rng.uniform(1.2, 2.5)
            k = min(self.scale.countries, max(1, round(spells / per_country)))
            if bloc["id"] == 1:
                k = min(self.scale.countries, spells)
            countries = self.rng.sample(range(1, self.scale.countries + 1), k)
            self.members[bloc["id"]] = countries
            counts = [1] * k
            for _ in range(spells - k):
                j = self._below(0, k)
                while counts[j] >= MAX_SPELLS_PER_PAIR:
                    j = (j + 1) % k
                counts[j] += 1
            first = bloc["founded"] or datetime.date(1900, 1, 1)
            last = bloc["dissolved"] or LAST_DAY
            for pair, (country, r) in enumerate(zip(countries, counts, strict=True)):
                forced_role = self.roles[pair] if bloc["id"] == 1 and pair < len(self.roles) else None
                for row in self._pair_spells(bloc, country, r, first, last, forced_role, pk):
                    pk += 1
                    yield row
        self.membership_count = pk

    def _pair_spells(self, bloc, country, r, first, last, forced_role, pk):
        length = (last - first).days
        offsets = sorted(self.rng.sample(range(1, length), 2 * r))
        open_ended = bloc["dissolved"] is None and self.rng.random() < 0.6
        previous_end = first
        role = None
        for i in range(r):
            pk += 1
            start = first + datetime.timedelta(days=offsets[2 * i])
            start_precision = self._precision()
            if _round(start, start_precision) < previous_end:
                start_precision = DAY
            start = _round(start, start_precision)
            end, end_precision, end_reason = None, DAY, ""
            is_last = i == r - 1
            if is_last and bloc["dissolved"] and self.rng.random() < 0.7:
                end, end_precision, end_reason = (
                    bloc["dissolved"],
                    bloc["dissolved_precision"],
                    EndReason.DISSOLVED.value,
                )
            elif not (is_last and open_ended):
                end = first + datetime.timedelta(days=offsets[2 * i + 1])
                end_precision = self._precision()
                if _round(end, end_precision) <= start:
                    end_precision = DAY
                end = _round(end, end_precision)
                end_reason = self._pick(
                    [
                        EndReason.WITHDRAWAL.value,
                        EndReason.NON_RENEWAL.value,
                        EndReason.EXPULSION.value,
                        EndReason.OTHER.value,
                    ]
                    + ([EndReason.SUCCEEDED.value] * 2 if not is_last else [])
                )
            previous_end = end or start
            if forced_role and i == 0:
                role = forced_role
            elif role in (Role.CANDIDATE.value, Role.OBSERVER.value) and self.rng.random() < 0.7:
                role = Role.MEMBER.value
            else:
                role = self.rng.choices(self.roles, self.role_weights)[0]
            suspension = self._suspension(start, end, force=forced_role == Role.MEMBER.value and i == 0)
            notes = ""
            if self.rng.random() < 0.08:
                notes = f"Some sources give {start.year + self._pick([-1, 1])} for the start."
                if self.rng.random() < 0.2:
                    notes = self._pick(ODD_NOTES)
            created = self._created(pk)
            yield (
                pk,
                created,
                created,
                role,
                start,
                start_precision,
                *suspension,
                end,
                end_precision,
                end_reason,
                notes,
                bloc["id"],
                country,
            )
            if self.rng.random() < 0.45:
                self.milestones.append((pk, EventKind.ACCESSION.value, start, start_precision, bloc["id"], country))
            if suspension[0] and self.rng.random() < 0.8:
                self.milestones.append((pk, EventKind.SUSPENSION.value, suspension[0], DAY, bloc["id"], country))
            if end_reason in (EndReason.WITHDRAWAL.value, EndReason.EXPULSION.value) and self.rng.random() < 0.7:
                self.milestones.append((pk, EventKind.WITHDRAWAL.value, end, end_precision, bloc["id"], country))

    def _suspension(self, start, end, force=False):
        """(suspension_start, precision, suspension_end, precision, kind) for roughly one spell in twenty."""
        none = (None, DAY, None, DAY, "")
        stop = end or LAST_DAY
        span = (stop - start).days
        if span < 10 or not (force or self.rng.random() < 0.05):
            return none
        suspension_start = start + datetime.timedelta(days=self._below(1, span - 1))
        suspension_end = None
        if self.rng.random() < 0.55:
            left = (stop - suspension_start).days
            suspension_end = suspension_start + datetime.timedelta(days=self._between(1, left))
        kind = self._pick(
            [SuspensionKind.FORMAL.value, SuspensionKind.SELF_DECLARED.value, SuspensionKind.DE_FACTO.value]
        )
        return (suspension_start, DAY, suspension_end, DAY, kind)

    # Events --------------------------------------------------------------------------------------

    def event_rows(self, links):
        """Yield event rows; append (event id, bloc/country/source/membership id) pairs to `links`."""
        seen = set()
        milestones = self.milestones[: self.scale.events // 2]
        weights = [len(self.members[b["id"]]) for b in self.blocs]
        bloc_picks = self.rng.choices(self.blocs, weights, k=self.scale.events - len(milestones))
        kind_picks = self.rng.choices(self.kinds, self.kind_weights, k=len(bloc_picks))
        names = dict((pk, name) for pk, name, _ in self.countries)
        blocs = {b["id"]: b for b in self.blocs}
        link_bloc, link_country = links["blocs"].append, links["countries"].append
        pick, rand = self._pick, self.random
        pk = 0
        for membership, kind, date, precision, bloc_id, country in milestones:
            pk += 1
            bloc = blocs[bloc_id]
            verb = {"accession": "joins", "suspension": "is suspended from"}.get(kind, "leaves")
            title = self._unique(seen, date, f"{names[country]} {verb} the {bloc['short']}")
            description = f"{names[country]} {verb} the {bloc['name']}, according to its secretariat."
            link_bloc((pk, bloc_id))
            link_country((pk, country))
            links["memberships"].append((pk, membership))
            self._cite(links, pk)
            yield self._event(pk, date, precision, None, title, kind, description, pick(self.cities))
        countries = range(1, self.scale.countries + 1)
        for bloc, kind in zip(bloc_picks, kind_picks, strict=True):
            pk += 1
            first = bloc["first_day"]
            date = _day(first + int((bloc["last_day"] - first) * (1 - rand() ** 2)))
            precision = self._precision(85, 10)
            date = _round(date, precision)
            end_date = None
            if kind in MULTI_DAY and precision == DAY and rand() < 0.35:
                end_date = date + datetime.timedelta(days=self._between(1, 12))
            city = pick(self.cities) if rand() < 0.85 else ""
            where = f" in {city}" if city else ""
            title = TITLES[kind].format(short=bloc["short"], where=where, topic=pick(TOPICS), region=pick(REGIONS))
            title = self._unique(seen, date, title)
            description = (
                f"Representatives of the {bloc['name']} {VERBS[kind]} {pick(TOPICS)}{where}."
                f" Reports differ on {pick(TOPICS)}."
            )
            if rand() < 0.03:
                for c in self.rng.sample(countries, 2):
                    link_country((pk, c))
            else:
                link_bloc((pk, bloc["id"]))
                if rand() < 0.08:
                    other = pick(self.blocs)
                    if other is not bloc:
                        link_bloc((pk, other["id"]))
                members = self.members[bloc["id"]]
                n = min(len(members), pick((0, 1, 1, 2, 2, 3, 4)))
                for c in self.rng.sample(members, n) if n > 1 else [pick(members)] * n:
                    link_country((pk, c))
            self._cite(links, pk)
            yield self._event(pk, date, precision, end_date, title, kind, description, city)

    def _event(self, pk, date, precision, end_date, title, kind, description, location):
        notes = self._pick(ODD_NOTES) if self.random() < 0.01 else ""
        created = self._created(pk)
        return (pk, created, created, date, precision, end_date, DAY, title, kind, description, location, notes)

    def _cite(self, links, pk):
        n = self._pick((0, 0, 0, 1, 1, 1, 1, 1, 2, 3))
        if n:
            for source in {self._below(1, self.scale.sources + 1) for _ in range(n)}:
                links["sources"].append((pk, source))

    @staticmethod
    def _unique(seen, date, title):
        # The exchange format names an event by date and title, so the pair must be unique.
        n, candidate = 1, title
        while hash((date, candidate)) in seen:
            n += 1
            candidate = f"{title} ({n})"
        seen.add(hash((date, candidate)))
        return candidate


class LinkPairs:
    """Two compact integer columns; a million links cost 16 MB rather than a list of tuples."""

    def __init__(self):
        self.left, self.right = array("q"), array("q")

    def append(self, pair):
        self.left.append(pair[0])
        self.right.append(pair[1])

    def extend(self, pairs):
        for pair in pairs:
            self.append(pair)

    def __len__(self):
        return len(self.left)


# Loading -----------------------------------------------------------------------------------------


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model, *names):
    """`model`'s columns for the fields `names`, quoted, in the order the world's rows give them."""
    return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in names)


# The records that keep a history of their own, in loading order, and every table the world fills.
RECORDS = [Source, Country, Bloc, Membership, Event]
CLAIM_RECORDS = [model for model, *_ in CLAIMS]
LINKS = [Succession, BlocSource, MembershipSource, EventBloc, EventCountry, EventSource, Event.memberships.through]
CLAIM_LINKS = [model.sources.through for model in CLAIM_RECORDS]


def _link_histories():
    """(historical link model, link model, owner column, other column, owner's historical model) for
    every link a record's history keeps, read from the records' History as simple_history reads it,
    so that a link added to a History is written here too."""
    for model in RECORDS + CLAIM_RECORDS:
        records = model._history_records
        for field in sorted(records.get_m2m_fields_from_model(model), key=lambda f: f.name):
            through = field.remote_field.through
            owner = through._meta.get_field(get_m2m_field_name(field)).column
            other = through._meta.get_field(get_m2m_reverse_field_name(field)).column
            yield records.m2m_models[field], through, owner, other, model.history.model


LINK_HISTORY_OF = list(_link_histories())
HISTORY_MODELS = [model.history.model for model in RECORDS + CLAIM_RECORDS + [Reading]] + [
    history for history, *_ in LINK_HISTORY_OF
]
# Readings and claims come last: they name the records, and a world's other rows do not depend on them.
WRITTEN = RECORDS + LINKS + [Reading] + CLAIM_RECORDS + CLAIM_LINKS
CURATED_TABLES = [model._meta.db_table for model in WRITTEN]
CLAIM_MODELS = [Reading, *CLAIM_RECORDS, *CLAIM_LINKS]
CLAIM_TABLES = {model._meta.db_table for model in CLAIM_MODELS} | {
    model._meta.db_table for model in HISTORY_MODELS if model.instance_type in CLAIM_MODELS
}
HISTORY_TABLES = [model._meta.db_table for model in HISTORY_MODELS]

# The columns each record's rows give, in order.
COLUMNS = {
    Source: ("id", "created_at", "updated_at", "key", "title", "publisher", "kind", "url", "published")
    + ("published_precision", "notes"),
    Country: ("id", "created_at", "updated_at", "name", "alpha2", "alpha3", "cow_code", "other_names", "notes"),
    Bloc: ("id", "created_at", "updated_at", "slug", "name", "abbreviations", "kind", "founded", "founded_precision")
    + ("dissolved", "dissolved_precision", "description", "notes", "parent"),
    Membership: ("id", "created_at", "updated_at", "role", "start", "start_precision", "suspension_start")
    + ("suspension_start_precision", "suspension_end", "suspension_end_precision", "suspension_kind", "end")
    + ("end_precision", "end_reason", "notes", "bloc", "country"),
    Event: ("id", "created_at", "updated_at", "date", "date_precision", "end_date", "end_date_precision", "title")
    + ("kind", "description", "location", "notes"),
}


class NotEmpty(Exception):
    """The database already holds curated records; a world is only loaded into an empty one."""


def curated_record_count():
    return sum(model.objects.count() for model in (Source, Country, Bloc, Membership, Event))


def what_flush_deletes():
    """The records a flush would delete, and the work in their history that no synthetic world did, in words."""
    models = (Source, Country, Bloc, Membership, Event)
    held = [f"{model.objects.count():,} {model._meta.verbose_name_plural}" for model in models]
    versions, people, files = 0, set(), set()
    for model in models:
        # A world's own versions carry its reason; every other version is someone's work (or a load's).
        work = model.history.exclude(history_change_reason__startswith="synthetic world")
        versions += work.count()
        people.update(work.exclude(history_user=None).values_list("history_user__username", flat=True).distinct())
        files.update(work.exclude(history_load="").values_list("history_load", flat=True).distinct())
    text = ", ".join(held)
    if versions:
        who = [f"edits by {', '.join(sorted(people))}"] if people else []
        who += [f"loads of {', '.join(sorted(files))}"] if files else []
        text += f", and {versions:,} versions in their history that no synthetic world wrote"
        text += f" ({'; '.join(who)})" if who else ""
    return text


def flush():
    """Delete every curated record and its history, and restart the ids."""
    with connection.cursor() as cursor:
        # PostgreSQL refuses to truncate a table with foreign-key checks still pending in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = ", ".join(_table(model) for model in WRITTEN + HISTORY_MODELS)
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _constraints(cursor, tables):
    """(table, name, definition) of the foreign key, unique and exclusion constraints on `tables`.

    They are dropped during the load and added again at its end, in the same transaction: adding
    a constraint checks every row at once, which is far faster than checking row by row, and a
    single violation still fails the whole load. Primary keys and CHECK constraints stay in place
    and check each row as it arrives. Foreign keys come first, so that they are dropped before
    and added after the unique constraints they might rely on.
    """
    cursor.execute(
        """SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
              AND c.contype IN ('f', 'u', 'x')
            ORDER BY c.contype <> 'f', t.relname, c.conname""",
        [tables],
    )
    return cursor.fetchall()


def _plain_indexes(cursor, tables):
    """Definitions of the indexes on `tables` that back no constraint: dropped, then built once."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = t.oid)
            ORDER BY i.relname""",
        [tables],
    )
    return cursor.fetchall()


def _copy_rows(cursor, model, rows, names=None, progress=None, total=0):
    n = 0
    progress = progress or Silent()
    progress.stage(f"Writing {model._meta.verbose_name_plural}", total)
    with cursor.copy(f"COPY {_table(model)} ({_columns(model, *(names or COLUMNS[model]))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
            if n % 1000 == 0:
                progress.advance(1000)
    progress.advance(n % 1000)
    return n


def _copy_pairs(cursor, model, names, pairs):
    """Link rows numbered 1, 2, … in order, so that the same seed gives the same ids."""
    # Integer pairs are written as ready-made COPY text in large chunks: nothing in them needs escaping.
    left, right = pairs.left, pairs.right
    with cursor.copy(f"COPY {_table(model)} ({_columns(model, 'id', *names)}) FROM STDIN") as copy:
        for i in range(0, len(left), 100_000):
            chunk = zip(left[i : i + 100_000], right[i : i + 100_000], strict=True)
            copy.write("".join(f"{n}\t{a}\t{b}\n" for n, (a, b) in enumerate(chunk, start=i + 1)))
    return len(left)


def _link_pairs(owners_sources):
    pairs = LinkPairs()
    pairs.left, pairs.right = owners_sources
    return pairs


def load(scale, seed, reason=None, report=None, progress=None):
    """Generate the world for `scale` and `seed` and load it into the empty database, all or nothing.

    Returns the row count of each table. `report(message)` is told each step and its duration.
    """
    if curated_record_count():
        raise NotEmpty()
    report = report or (lambda message: None)
    reason = reason or f"synthetic world, seed {seed}"
    world = World(scale, seed)
    counts = {}
    timer = time.monotonic()

    def step(message):
        nonlocal timer
        now = time.monotonic()
        report(f"{message} ({now - timer:.1f} s)")
        timer = now

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        tables = [t for t in CURATED_TABLES + HISTORY_TABLES if t not in CLAIM_TABLES]
        constraints = _constraints(cursor, tables)
        for table, name, _ in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        indexes = _plain_indexes(cursor, tables)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')

        counts[Source] = _copy_rows(cursor, Source, world.source_rows())
        counts[Country] = _copy_rows(cursor, Country, world.country_rows())
        counts[Bloc] = _copy_rows(cursor, Bloc, world.bloc_rows())
        counts[Succession] = _copy_rows(cursor, Succession, world.succession_rows(), ("id", "predecessor", "successor"))
        counts[BlocSource] = _copy_pairs(
            cursor, BlocSource, ("bloc", "source"), _link_pairs(world.source_links(scale.blocs, 1, 3))
        )
        step(f"{scale.sources:,} sources, {scale.countries:,} countries, {scale.blocs:,} blocs")

        counts[Membership] = _copy_rows(
            cursor, Membership, world.membership_rows(), progress=progress, total=scale.memberships
        )
        counts[MembershipSource] = _copy_pairs(
            cursor, MembershipSource, ("membership", "source"), _link_pairs(world.source_links(scale.memberships, 0, 2))
        )
        step(f"{counts[Membership]:,} membership spells")

        links = {name: LinkPairs() for name in ("blocs", "countries", "sources", "memberships")}
        counts[Event] = _copy_rows(cursor, Event, world.event_rows(links), progress=progress, total=scale.events)
        for model, target, name in [
            (EventBloc, "bloc", "blocs"),
            (EventCountry, "country", "countries"),
            (EventSource, "source", "sources"),
            (Event.memberships.through, "membership", "memberships"),
        ]:
            counts[model] = _copy_pairs(cursor, model, ("event", target), links[name])
        del links
        step(f"{counts[Event]:,} events and their links")

        _histories(cursor, RECORDS, reason, counts)
        step("one history row per record")

        for statement in connection.ops.sequence_reset_sql(no_style(), WRITTEN + HISTORY_MODELS):
            cursor.execute(statement)
        for table, name, definition in reversed(constraints):
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        step(f"{len(constraints)} unique, exclusion and foreign-key constraints checked")
        for _, definition in indexes:
            cursor.execute(definition)
        step(f"{len(indexes)} indexes built")

        # Claims go into tables whose constraints stay in place: they are few, and PostgreSQL
        # cannot alter a table with deferred trigger events pending, as the claims' checks are.
        claims = _load_claims(cursor, counts, Disputes(seed, scale.sources, CREATED))
        counts[Reading.history.model] = reading_history(cursor, reason)
        _histories(cursor, CLAIM_RECORDS, reason, counts)
        for statement in connection.ops.sequence_reset_sql(no_style(), [Reading, *CLAIM_RECORDS, *CLAIM_LINKS]):
            cursor.execute(statement)
        step(f"{claims:,} claims on disputed dates, {len(READINGS)} readings, and their history")

    analyse()
    step("statistics gathered (the claims' deferred checks passed at commit)")
    return counts


def _histories(cursor, models, reason, counts):
    """One "+" history row for every record of `models`, and its links, copied from the loaded tables."""
    owners = {model.history.model for model in models}
    for model in models:
        history = model.history.model
        columns = [f.column for f in history._meta.fields if not f.name.startswith("history_")]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(
            f"""INSERT INTO {_table(history)} ({quoted}, history_date, history_change_reason, history_type)
                SELECT {quoted}, created_at, %s, '+' FROM {_table(model)} ORDER BY id""",
            [reason[:100]],
        )
        counts[history] = cursor.rowcount
    for history, link, owner, other, owner_history in LINK_HISTORY_OF:
        if owner_history not in owners:
            continue
        cursor.execute(
            f"""INSERT INTO {_table(history)} (id, {owner}, {other}, history_id)
                SELECT l.id, l.{owner}, l.{other}, h.history_id
                  FROM {_table(link)} l JOIN {_table(owner_history)} h ON h.id = l.{owner} ORDER BY l.id"""
        )
        counts[history] = cursor.rowcount


def _load_claims(cursor, counts, disputes):
    """The readings, then claims on a share of the spells, events and blocs just written, and their sources.

    The claims' deferred triggers (one preferred claim per date, equal to the record's) run at the
    load's commit, once the indexes they read are built again.
    """
    counts[Reading] = _copy_rows(cursor, Reading, READINGS, READING_COLUMNS)
    total = 0
    for model, owner, fields, share in CLAIMS:
        facts = list(disputes.facts(cursor, owner, fields, share))
        pairs = LinkPairs()
        counts[model] = _copy_rows(cursor, model, disputes.rows(model, facts, pairs), (*CLAIM_COLUMNS, model.OWNER))
        link = model.sources.through
        counts[link] = _copy_pairs(cursor, link, ("claim", "source"), pairs)
        total += counts[model]
    return total


def analyse():
    """Fresh planner statistics, so that plans and the admin's estimated counts fit the new data.

    Outside a transaction the tables are vacuumed too, which marks their pages all-visible so
    that counts can be answered from an index alone, and clears the row versions the triggers of
    the kept tables left behind: each link table's COPY rewrites the kept row of every record it
    names, so a full world's `EventLinks` ends its load with 1.6 million dead rows beside its
    million live ones, and every look-up by event walked past them until autovacuum came by
    (docs/performance.md, "Read API").
    """
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in WRITTEN + HISTORY_MODELS + kept_models():
            cursor.execute(f"{command} {_table(model)}")
