"""Read and write the project's exchange format (docs/exchange-format.md): whole datasets by natural key."""

import json

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext

from blocs.models import OVERLAP_MESSAGE, Bloc, Country, Membership, Rank, Reading, Source
from eurasia.constraints import check_deferred, constraint_message
from eurasia.history import record_change
from eurasia.partial_dates import PartialDate, Precision
from jobs.progress import Silent

from .reloading import KEEP, REFUSE, UPDATE, Review

FORMAT = "eurasia-records/1"


class LoadError(Exception):
    """The dataset has problems; nothing was stored. `problems` lists each, located in words."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


class ExistingRecordsDiffer(LoadError):
    """The file would change records that already exist, and the load was not asked to; nothing was stored."""

    def __init__(self, changes):
        self.changes = changes
        super().__init__([line for change in changes for line in change.lines()])


class Conflicts(ExistingRecordsDiffer):
    """Applying the file would undo changes made since the records were last loaded; nothing was stored."""


def _partial(value, where, field, problems, required=False):
    if value in (None, ""):
        if required:
            problems.append(gettext("%(where)s: %(field)s is required.") % {"where": where, "field": field})
        return None, Precision.DAY
    try:
        pd = PartialDate.parse(value)
    except ValueError as e:
        problems.append(f"{where}: {field}: {e}")
        return None, Precision.DAY
    return pd.date, pd.precision


def _claim_key(field, value, precision, rank, reason, reading, sources):
    """What tells two claims apart when a file is compared with the database."""
    return (
        field,
        value,
        precision if value else None,
        rank,
        reason,
        reading and reading.pk,
        frozenset(s.pk for s in sources),
    )


class Loader:
    """Load a dataset by natural keys, all or nothing: new records are added; what happens to existing
    records the file describes differently is `existing` (exchange/reloading.py), REFUSE unless asked."""

    def __init__(
        self,
        data,
        reason="loaded from a dataset file",
        user=None,
        loaded_from="",
        existing=REFUSE,
        accept_file_values=False,
        show=None,
        progress=None,
    ):
        self.data = data
        self.progress = progress or Silent()  # told each kind of record and each row of it
        self.reason = reason
        self.user = user  # recorded in the history as who made the changes
        self.loaded_from = loaded_from  # the file, recorded on every version the load writes
        self.existing = existing
        self.accept_file_values = accept_file_values
        self.show = show  # called with the changes to existing records before they are committed
        self.review = Review()
        self.kept = set()  # existing records left as they are (KEEP)
        self.added = set()  # records this load created
        self.problems = []
        self.counts = {}
        self.stored_claims = {}  # see held_claims

    def count(self, kind, outcome):
        if outcome == "invalid":
            return
        self.counts.setdefault(kind, {"created": 0, "changed": 0, "unchanged": 0, "kept": 0})[outcome] += 1

    def run(self):
        if not isinstance(self.data, dict) or self.data.get("format") != FORMAT:
            raise LoadError(
                [gettext('The file is not a Eurasia dataset: its "format" must be "%(format)s".') % {"format": FORMAT}]
            )
        try:
            with transaction.atomic():
                self.sources = self.load_sources()
                self.readings = self.load_readings()
                self.countries = self.load_countries()
                self.blocs = self.load_blocs()
                self.memberships = self.load_memberships()
                self.load_events()
                if self.problems:
                    raise LoadError(self.problems)
                check_deferred()
                self.check_changes()
        except (IntegrityError, DataError) as e:
            raise LoadError([*self.problems, constraint_message(e)]) from None
        return self.counts

    def check_changes(self):
        """Let through only the changes to existing records the load was asked for; the caller's
        transaction rolls everything back otherwise."""
        if not self.review.noted:
            return
        changes = self.review.changes()
        if self.existing != UPDATE:
            raise ExistingRecordsDiffer(changes)
        if any(change.conflicts for change in changes) and not self.accept_file_values:
            raise Conflicts(changes)
        if self.show:
            self.show(changes)

    def rows(self, kind):
        rows = self.data.get(kind, [])
        if not isinstance(rows, list):
            self.problems.append(gettext('"%(kind)s" must be a list.') % {"kind": kind})
            return []
        good = []
        for i, row in enumerate(rows, 1):
            if isinstance(row, dict):
                good.append((i, row))
            else:
                self.problems.append(gettext("%(kind)s #%(number)s: must be an object.") % {"kind": kind, "number": i})
        self.progress.stage(gettext("Loading %(kind)s") % {"kind": kind}, len(good))
        return self.counted(good)

    def counted(self, rows):
        for row in rows:
            yield row
            self.progress.advance()

    def save(self, obj, values, where, m2m=None):
        """Apply `values` to `obj`, validate, save if anything differs; say what happened."""
        created = obj.pk is None
        existed = not created and obj not in self.added  # before this load
        if existed and obj in self.kept:
            return "kept"
        differing = {field: value for field, value in values.items() if getattr(obj, field) != value}
        relinks = {}
        if not created:
            for name, targets in (m2m or {}).items():
                if {t.pk for t in targets} != set(getattr(obj, name).values_list("pk", flat=True)):
                    relinks[name] = targets
            if differing or relinks:
                if existed and self.existing == KEEP:
                    self.kept.add(obj)
                    return "kept"
                if existed:
                    self.review.note(obj, where)
        changed = created or bool(differing)
        for field, value in differing.items():
            setattr(obj, field, value)
        if changed:
            try:
                # CHECK constraints are already covered by clean(); PostgreSQL still enforces them,
                # and asking it row by row would cost a query per constraint per record.
                obj.full_clean(validate_constraints=False)
                if isinstance(obj, Membership) and Membership.objects.overlapping(obj).exists():
                    raise ValidationError({"start": OVERLAP_MESSAGE})
            except ValidationError as e:
                for field, messages in e.message_dict.items():
                    label = "" if field == "__all__" else f"{field}: "
                    self.problems.extend(f"{where}: {label}{m}" for m in messages)
                return "invalid"
            obj.skip_history_when_saving = True
            try:
                obj.save()
                if created:
                    self.added.add(obj)
            except (IntegrityError, DataError) as e:
                # The transaction is spoilt: stop here; run() rolls everything back.
                raise LoadError([*self.problems, f"{where}: {constraint_message(e)}"]) from None
        if created:  # a new record's links are all new
            relinks = {name: targets for name, targets in (m2m or {}).items() if targets}
        relinked = bool(relinks)
        for name, targets in relinks.items():
            obj.skip_history_when_saving = True
            getattr(obj, name).set(targets)
        if relinked and not changed:
            # Links alone changed: still a new "last changed", for readers and for curators' open forms.
            obj.skip_history_when_saving = True
            obj.save(update_fields=["updated_at"])
        if changed or relinked:
            if self.user is not None:
                obj._history_user = self.user
            # One history row per record and load, with its links as they now stand.
            record_change(obj, created, self.reason, loaded_from=self.loaded_from)
        return "created" if created else "changed" if changed or relinked else "unchanged"

    def lookup(self, table, keys, where, what):
        found = []
        if not isinstance(keys, list):
            self.problems.append(gettext("%(where)s: %(what)s must be a list.") % {"where": where, "what": what})
            return found
        for key in keys:
            if key in table:
                if table[key].pk is not None:  # otherwise its own problem is already reported
                    found.append(table[key])
            else:
                self.problems.append(
                    gettext('%(where)s: unknown %(what)s "%(key)s".')
                    % {"where": where, "what": what[:-1] if what.endswith("s") else what, "key": key}
                )
        return found

    def load_sources(self):
        table = {s.key: s for s in Source.objects.all()}
        for i, row in self.rows("sources"):
            key = str(row.get("key", "")).strip()
            where = gettext('source #%(number)s "%(key)s"') % {"number": i, "key": key}
            if not key:
                self.problems.append(gettext("source #%(number)s: key is required.") % {"number": i})
                continue
            published, precision = _partial(row.get("published"), where, "published", self.problems)
            values = {
                "title": row.get("title", ""),
                "publisher": row.get("publisher", ""),
                "kind": row.get("kind", ""),
                "url": row.get("url", ""),
                "published": published,
                "published_precision": precision,
                "notes": row.get("notes", ""),
            }
            # Left out, the flag stays as it is: files written before it existed say nothing about it.
            if "title_checked" in row:
                if not isinstance(row["title_checked"], bool):
                    self.problems.append(f"{where}: title_checked must be true or false.")
                    continue
                values["title_checked"] = row["title_checked"]
            source = table.get(key) or Source(key=key)
            self.count("sources", self.save(source, values, where))
            table[key] = source
        return table

    def load_readings(self):
        table = {r.key: r for r in Reading.objects.all()}
        for i, row in self.rows("readings"):
            key = str(row.get("key", "")).strip()
            where = gettext('reading #%(number)s "%(key)s"') % {"number": i, "key": key}
            if not key:
                self.problems.append(gettext("reading #%(number)s: key is required.") % {"number": i})
                continue
            values = {"name": row.get("name", ""), "citation": row.get("citation", ""), "url": row.get("url", "")}
            reading = table.get(key) or Reading(key=key)
            self.count("readings", self.save(reading, values, where))
            table[key] = reading
        return table

    def read_claims(self, record, rows, where):
        """The file's claims of one record, checked: [(field, value, precision, rank, reason, reading, sources)]."""
        if rows in (None, []):
            return []
        if not isinstance(rows, list):
            self.problems.append(gettext("%(where)s: claims must be a list.") % {"where": where})
            return None
        claims, fields = [], type(record).claims.rel.related_model.FIELDS
        for n, row in enumerate(rows, 1):
            at = gettext("%(where)s, claim #%(number)s") % {"where": where, "number": n}
            if not isinstance(row, dict):
                self.problems.append(gettext("%(where)s: must be an object.") % {"where": at})
                return None
            field, rank = row.get("field"), row.get("rank", Rank.ALTERNATIVE)
            if field not in fields:
                self.problems.append(
                    gettext("%(where)s: field must be one of %(fields)s.") % {"where": at, "fields": ", ".join(fields)}
                )
                return None
            if rank not in Rank.values:
                self.problems.append(
                    gettext("%(where)s: rank must be one of %(ranks)s.")
                    % {"where": at, "ranks": ", ".join(Rank.values)}
                )
                return None
            value, precision = _partial(row.get("value"), at, "value", self.problems)
            if row.get("value") not in (None, "") and value is None:
                return None
            reading = row.get("reading")
            if reading and reading not in self.readings:
                self.problems.append(gettext('%(where)s: unknown reading "%(key)s".') % {"where": at, "key": reading})
                return None
            sources = self.lookup(self.sources, row.get("sources", []), at, "sources")
            if not sources:
                self.problems.append(gettext("%(where)s: every claim cites at least one source.") % {"where": at})
                return None
            reason = str(row.get("reason", ""))[:300]
            claims.append((field, value, precision, rank, reason, self.readings.get(reading), sources))
        for field in {c[0] for c in claims}:
            preferred = [c for c in claims if c[0] == field and c[3] == Rank.PREFERRED]
            if len(preferred) != 1:
                self.problems.append(
                    gettext("%(where)s: the %(field)s has claims, and exactly one of them must be preferred.")
                    % {"where": where, "field": field}
                )
                return None
            stored = (getattr(record, field), getattr(record, f"{field}_precision"))
            value, precision = preferred[0][1:3]
            if value != stored[0] or (value is not None and precision != stored[1]):
                self.problems.append(
                    gettext("%(where)s: the preferred claim for the %(field)s differs from the record's %(field)s.")
                    % {"where": where, "field": field}
                )
                return None
        return claims

    def held_claims(self, model):
        """{record id: its claims' keys} for every stored record of `model`, read once per load."""
        if model not in self.stored_claims:
            claim_model = model.claims.rel.related_model
            held = {}
            for c in claim_model.objects.select_related("reading").prefetch_related("sources").iterator(2000):
                key = _claim_key(c.field, c.value, c.value_precision, c.rank, c.reason, c.reading, c.sources.all())
                held.setdefault(c.owner_id, set()).add(key)
            self.stored_claims[model] = held
        return self.stored_claims[model]

    def load_claims(self, record, rows, where, outcome):
        """Store the file's claims of `record`; its outcome, changed to "changed" or "kept" as the claims require.

        A record this load created gets all of them. An existing record whose claims differ is an
        existing record described differently: noted for review (REFUSE, UPDATE) or kept (KEEP).
        """
        if outcome in ("invalid", "kept") or record.pk is None:
            return outcome
        claims = self.read_claims(record, rows, where)
        if claims is None:
            return "invalid"

        wanted = {_claim_key(*c) for c in claims}
        held = set() if outcome == "created" else self.held_claims(type(record)).get(record.pk, set())
        if wanted == held:
            return outcome
        if record not in self.added:
            if self.existing == KEEP:
                self.kept.add(record)
                return "kept"
            self.review.note(record, where)
        record.claims.all().delete()
        for field, value, precision, rank, reason, reading, sources in claims:
            claim = record.claims.create(
                field=field, value=value, value_precision=precision, rank=rank, reason=reason, reading=reading
            )
            claim.sources.set(sources)
        return outcome if outcome == "created" else "changed"

    def load_countries(self):
        table = {c.alpha3: c for c in Country.objects.all()}
        for i, row in self.rows("countries"):
            code = str(row.get("alpha3", "")).strip().upper()
            where = gettext('country #%(number)s "%(key)s"') % {"number": i, "key": code}
            if not code:
                self.problems.append(gettext("country #%(number)s: alpha3 is required.") % {"number": i})
                continue
            values = {
                "alpha2": str(row.get("alpha2", "")).strip().upper(),
                "name": row.get("name", ""),
                "name_ru": row.get("name_ru", ""),
                "cow_code": row.get("cow_code"),
                "other_names": row.get("other_names", ""),
                "notes": row.get("notes", ""),
            }
            country = table.get(code) or Country(alpha3=code)
            self.count("countries", self.save(country, values, where))
            table[code] = country
        return table

    def load_blocs(self):
        table = {b.slug: b for b in Bloc.objects.all()}
        rows = []
        # First every bloc itself, then the links between blocs, which may point forward.
        for i, row in self.rows("blocs"):
            slug = str(row.get("slug", "")).strip()
            where = gettext('bloc #%(number)s "%(key)s"') % {"number": i, "key": slug}
            if not slug:
                self.problems.append(gettext("bloc #%(number)s: slug is required.") % {"number": i})
                continue
            founded, founded_p = _partial(row.get("founded"), where, "founded", self.problems)
            dissolved, dissolved_p = _partial(row.get("dissolved"), where, "dissolved", self.problems)
            values = {
                "name": row.get("name", ""),
                "name_ru": row.get("name_ru", ""),
                "abbreviations": list(row.get("abbreviations") or []),
                "kind": row.get("kind", ""),
                "founded": founded,
                "founded_precision": founded_p,
                "dissolved": dissolved,
                "dissolved_precision": dissolved_p,
                "description": row.get("description", ""),
                "notes": row.get("notes", ""),
            }
            bloc = table.get(slug) or Bloc(slug=slug)
            outcome = self.save(bloc, values, where)
            if bloc.pk:
                table[slug] = bloc
                rows.append((bloc, row, where, outcome))
        for bloc, row, where, outcome in rows:
            parent = row.get("parent")
            if parent and parent not in table:
                self.problems.append(
                    gettext('%(where)s: unknown parent bloc "%(key)s".') % {"where": where, "key": parent}
                )
                continue
            links = {
                "predecessors": self.lookup(table, row.get("predecessors", []), where, "predecessor blocs"),
                "sources": self.lookup(self.sources, row.get("sources", []), where, "sources"),
            }
            relinked = self.save(bloc, {"parent": table[parent] if parent else None}, where, links)
            if outcome not in ("created", "kept") and relinked != "unchanged":
                outcome = relinked if relinked in ("kept", "invalid") else "changed"
            self.count("blocs", self.load_claims(bloc, row.get("claims"), where, outcome))
        return table

    def load_memberships(self):
        table = {
            (m.country.alpha3, m.bloc.slug, m.start): m for m in Membership.objects.select_related("country", "bloc")
        }
        for i, row in self.rows("memberships"):
            country, bloc = str(row.get("country", "")).upper(), row.get("bloc", "")
            where = gettext("membership #%(number)s (%(country)s in %(bloc)s from %(start)s)") % {
                "number": i,
                "country": country,
                "bloc": bloc,
                "start": row.get("start"),
            }
            start, start_p = _partial(row.get("start"), where, "start", self.problems, required=True)
            if country not in self.countries:
                self.problems.append(
                    gettext('%(where)s: unknown country "%(key)s".') % {"where": where, "key": country}
                )
                continue
            if bloc not in self.blocs or self.blocs[bloc].pk is None:
                self.problems.append(gettext('%(where)s: unknown bloc "%(key)s".') % {"where": where, "key": bloc})
                continue
            if start is None:
                continue
            values = {"role": row.get("role", "member"), "start_precision": start_p}
            for name in ("suspension_start", "suspension_end", "end"):
                values[name], values[f"{name}_precision"] = _partial(row.get(name), where, name, self.problems)
            values.update(
                suspension_kind=row.get("suspension_kind") or "",
                end_reason=row.get("end_reason") or "",
                notes=row.get("notes", ""),
            )
            key = (country, bloc, start)
            spell = table.get(key) or Membership(country=self.countries[country], bloc=self.blocs[bloc], start=start)
            sources = self.lookup(self.sources, row.get("sources", []), where, "sources")
            outcome = self.save(spell, values, where, {"sources": sources})
            self.count("memberships", self.load_claims(spell, row.get("claims"), where, outcome))
            table[key] = spell
        return table

    def load_events(self):
        from events.models import Event

        table = {(e.date, e.title): e for e in Event.objects.all()}
        for i, row in self.rows("events"):
            title = str(row.get("title", "")).strip()
            where = gettext("event #%(number)s (%(date)s: %(title)s)") % {
                "number": i,
                "date": row.get("date"),
                "title": title[:60],
            }
            date, date_p = _partial(row.get("date"), where, "date", self.problems, required=True)
            end_date, end_p = _partial(row.get("end_date"), where, "end_date", self.problems)
            if date is None or not title:
                if not title:
                    self.problems.append(gettext("%(where)s: title is required.") % {"where": where})
                continue
            spells = []
            for ref in row.get("memberships", []) or []:
                ref_start, _ = _partial(
                    ref.get("start") if isinstance(ref, dict) else None, where, "membership start", self.problems, True
                )
                key = (
                    (str(ref.get("country", "")).upper(), ref.get("bloc"), ref_start) if isinstance(ref, dict) else None
                )
                if key in self.memberships and self.memberships[key].pk:
                    spells.append(self.memberships[key])
                else:
                    self.problems.append(
                        gettext("%(where)s: unknown membership %(key)s.") % {"where": where, "key": ref}
                    )
            values = {
                "date_precision": date_p,
                "end_date": end_date,
                "end_date_precision": end_p,
                "kind": row.get("kind", ""),
                "description": row.get("description", ""),
                "title_ru": row.get("title_ru", ""),
                "description_ru": row.get("description_ru", ""),
                "location": row.get("location", ""),
                "notes": row.get("notes", ""),
            }
            m2m = {
                "blocs": self.lookup(self.blocs, row.get("blocs", []), where, "blocs"),
                "countries": self.lookup(
                    self.countries, [str(c).upper() for c in row.get("countries", []) or []], where, "countries"
                ),
                "sources": self.lookup(self.sources, row.get("sources", []), where, "sources"),
                "memberships": spells,
            }
            reviewed = self.reviewed_blocs(row, m2m["blocs"], where)
            event = table.get((date, title)) or Event(date=date, title=title)
            outcome = self.save(event, values, where, m2m)
            if reviewed is not None and event.pk is not None and outcome != "kept":
                self.mark_reviewed(event, reviewed)
            self.count("events", self.load_claims(event, row.get("claims"), where, outcome))
            table[(date, title)] = event

    def reviewed_blocs(self, row, blocs, where):
        """The event's blocs whose lifetime a curator found it rightly outside, or None when the file does not say."""
        if "blocs_reviewed" not in row:
            return None
        keys = row["blocs_reviewed"]
        if not isinstance(keys, list) or not set(keys) <= set(row.get("blocs", []) or []):
            self.problems.append(f"{where}: blocs_reviewed must list some of the event's own blocs.")
            return None
        return {b.pk for b in blocs if b.slug in keys}

    def mark_reviewed(self, event, reviewed):
        from django.db.models import Q

        from events.models import EventBloc

        links = EventBloc.objects.filter(event=event)
        links.filter(bloc__in=reviewed, lifetime_reviewed=False).update(lifetime_reviewed=True)
        links.filter(~Q(bloc__in=reviewed), lifetime_reviewed=True).update(lifetime_reviewed=False)


def load(data, reason="loaded from a dataset file", user=None, **options):
    """Load a parsed dataset; returns counts per kind, or raises LoadError having stored nothing.

    `options` are Loader's: loaded_from, existing, accept_file_values, show, progress."""
    return Loader(data, reason, user, **options).run()


# A record's claims with their readings and sources, fetched in three queries for a whole dump.
def read_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise LoadError([gettext("No such file: %(path)s") % {"path": path}]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LoadError(
            [gettext("%(path)s is not a valid JSON file: %(error)s") % {"path": path, "error": e}]
        ) from None
