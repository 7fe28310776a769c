"""Tables of records' links that the database keeps: each record's linked keys and sources, and
whether it has a disputed date, in one row, rewritten by statement-level triggers.

The read API gives every event its blocs, countries and sources, and every spell its sources.
Gathering them for a page from the link tables and then their other ends was most of a page's
query (docs/performance.md, "Read API"); a kept table answers with one look-up per record.

The triggers name the records a statement touched from its transition tables and rewrite those
rows in the writer's own transaction, whoever writes (the admin, an import, COPY, a shell): a
COPY of a million links costs one grouped upsert, not a million. A change to what a row shows of
a linked record (a bloc's slug, a source's title) rewrites the rows of the records linked to it.
A record with nothing to say (no links, no disputed date) has no row. For ?as_recorded= the table
is computed from the record views instead (`from_record_sql`, public/as_recorded.py).

Migrations call `keep_sql` and `forget_sql` with their own copy of the description, so the SQL
written here is part of their history: change it only in a new migration that drops the triggers
and functions and creates them again.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import models


def kept_models():
    """Every table the database keeps from the records: each model that says from which records
    (`kept_from`) and how to compute it from them (`from_record_sql`)."""
    return [model for model in apps.get_models() if hasattr(model, "kept_from")]


# A record's sources as the API gives them: key, title and address, by key.
SOURCES = "json_agg(json_build_object('key', t.key, 'title', t.title, 'url', NULLIF(t.url, '')) ORDER BY t.key)::text"
PREFERRED = "preferred"


@dataclass(frozen=True)
class Link:
    """One kept column: the link table `table`, whose column `end` names a row of `target`,
    aggregated per record by `aggregate` over those rows as `t`, which shows their columns `shown`."""

    column: str
    table: str
    end: str
    target: str
    aggregate: str
    shown: tuple


@dataclass(frozen=True)
class KeptLinks:
    """The kept table `table`: one row per record of `owners` (the link tables name it in `owner`),
    a column per link, and `disputed`, from the claims table `claims`."""

    table: str
    owners: str
    owner: str
    links: tuple
    claims: str

    def keep_sql(self):
        """The trigger functions and triggers, then the rows of the records already there."""
        return "".join(
            [
                self._refresh(),
                *(self._link_trigger(link.column, link.table) for link in self.links),
                self._link_trigger("disputed", self.claims),
                *(self._end_trigger(link) for link in self.links),
                # The triggers above hold off other writers until this commits.
                *(
                    f"SELECT {self.table}_refresh('{column}', ARRAY(SELECT DISTINCT {self.owner} FROM {table}));\n"
                    for column, table in [(link.column, link.table) for link in self.links]
                    + [("disputed", self.claims)]
                ),
            ]
        )

    def forget_sql(self):
        watched = [link.table for link in self.links] + [self.claims]
        return "".join(
            [
                *(
                    f"DROP TRIGGER {self.table}_{op} ON {table};\n"
                    for table in watched
                    for op in ("insert", "update", "delete", "truncate")
                ),
                *(f"DROP TRIGGER {self.table}_update ON {link.target};\n" for link in self.links),
                *(f"DROP FUNCTION {self.table}_{link.column}();\n" for link in self.links),
                f"DROP FUNCTION {self.table}_disputed();\n",
                *(f"DROP FUNCTION {self.table}_{link.target}();\n" for link in self.links),
                f"DROP FUNCTION {self.table}_refresh(text, bigint[]);\n",
            ]
        )

    def from_record_sql(self, quote):
        """The table computed from the record, one record at a time, as the triggers keep it.

        Correlated rather than grouped, so that a page's condition on the record's key reaches
        the records' index and each link table's look-up, as it reaches the kept table itself.
        """
        picks = [
            f"(SELECT {link.aggregate} FROM {quote(link.table)} l JOIN {quote(link.target)} t ON t.id = l.{link.end} "
            f"WHERE l.{self.owner} = r.id) AS {link.column}"
            for link in self.links
        ]
        picks.append(
            f"EXISTS (SELECT 1 FROM {quote(self.claims)} k WHERE k.{self.owner} = r.id "
            f"AND k.rank <> '{PREFERRED}') AS disputed"
        )
        return f"SELECT r.id AS {self.owner}, {', '.join(picks)} FROM {quote(self.owners)} r"

    @property
    def _empty(self):
        return " AND ".join([*(f"k.{link.column} IS NULL" for link in self.links), "NOT k.disputed"])

    def _fresh(self, link):
        """The column's value for each record in `ids` that has one, computed from the links."""
        if link is None:
            return (
                f"SELECT k.{self.owner}, true AS v FROM {self.claims} k "
                f"WHERE k.{self.owner} IN (SELECT unnest(ids)) AND k.rank <> '{PREFERRED}' GROUP BY 1"
            )
        return (
            f"SELECT l.{self.owner}, {link.aggregate} AS v FROM {link.table} l JOIN {link.target} t ON t.id = l.{link.end} "
            f"WHERE l.{self.owner} IN (SELECT unnest(ids)) GROUP BY 1"
        )

    def _branch(self, link):
        column = link.column if link else "disputed"
        value = "f.v" if link else "coalesce(f.v, false)"
        return f"""
  IF kind = '{column}' THEN
    INSERT INTO {self.table} AS k ({self.owner}, {column})
    SELECT i.id, {value} FROM unnest(ids) AS i(id) LEFT JOIN ({self._fresh(link)}) f ON f.{self.owner} = i.id
    ON CONFLICT ({self.owner}) DO UPDATE SET {column} = excluded.{column};
  END IF;"""

    def _refresh(self):
        """{table}_refresh(kind, ids): the column `kind` computed afresh for the records `ids`, and
        the rows left with nothing to say removed."""
        return f"""
CREATE FUNCTION {self.table}_refresh(kind text, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL THEN
    RETURN;
  END IF;{"".join(self._branch(link) for link in self.links)}{self._branch(None)}
  DELETE FROM {self.table} k WHERE k.{self.owner} IN (SELECT unnest(ids)) AND {self._empty};
END
$$;
"""

    def _link_trigger(self, column, table):
        """The trigger function and triggers of one link table (or of the claims, for `disputed`)."""
        function = f"{self.table}_{column}"
        cleared = "false" if column == "disputed" else "NULL"
        owner = self.owner
        return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE {self.table} SET {column} = {cleared} WHERE {column} IS DISTINCT FROM {cleared};
    DELETE FROM {self.table} k WHERE {self._empty};
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT {owner}) INTO ids FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT {owner}) INTO ids FROM old_rows;
  ELSE
    SELECT array_agg({owner}) INTO ids FROM (SELECT {owner} FROM new_rows UNION SELECT {owner} FROM old_rows) touched;
  END IF;
  PERFORM {self.table}_refresh('{column}', ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER {self.table}_insert AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {self.table}_update AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {self.table}_delete AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {self.table}_truncate AFTER TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""

    def _end_trigger(self, link):
        """The trigger of a linked table: a change to what the column shows of it rewrites its records' rows."""
        function = f"{self.table}_{link.target}"
        changed = " OR ".join(f"n.{name} IS DISTINCT FROM o.{name}" for name in link.shown)
        return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  SELECT array_agg(DISTINCT l.{self.owner}) INTO ids
    FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN {link.table} l ON l.{link.end} = n.id
   WHERE {changed};
  PERFORM {self.table}_refresh('{link.column}', ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER {self.table}_update AFTER UPDATE ON {link.target}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


class KeptLinksRow(models.Model):
    """A row of a kept table: the model names its description in KEPT, and its record's key as primary key.

    No foreign key to the record: the row goes with the record's last link or claim, which go
    before the record.
    """

    KEPT: KeptLinks

    sources = models.TextField(null=True, help_text="The sources (key, title, url) as a JSON array, by key.")
    disputed = models.BooleanField(
        default=False, db_default=False, help_text="The record has a claim other than the preferred one."
    )

    class Meta:
        abstract = True

    @classmethod
    def from_record_sql(cls, quote):
        """The table computed from the record, for ?as_recorded= (public/as_recorded.py, summaries)."""
        return cls.KEPT.from_record_sql(quote)


@dataclass(frozen=True)
class KeptDates:
    """The kept table `table`: a row per link of `link` (the other end in its column `end`, the record
    of `owners` in `owner`) with the record's `date`, so that one end's records can be read newest
    first from one index range instead of looking every one of them up for its date.

    Kept by statement-level triggers on the link table (each statement's links, from its transition
    tables) and on the records (a record's links come in with it if they were written first, and a
    changed date moves its rows).
    """

    table: str
    link: str
    end: str
    owners: str
    owner: str
    date: str = "date"

    def keep_sql(self):
        t, end, owner, date = self.table, self.end, self.owner, self.date
        return f"""
CREATE FUNCTION {t}_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM {t};
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM {t} k USING old_rows o WHERE k.{end} = o.{end} AND k.{owner} = o.{owner};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {self._add("new_rows", self.owners)}
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER {t}_insert AFTER INSERT ON {self.link}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {t}_links();
CREATE TRIGGER {t}_update AFTER UPDATE ON {self.link}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {t}_links();
CREATE TRIGGER {t}_delete AFTER DELETE ON {self.link}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {t}_links();
CREATE TRIGGER {t}_truncate AFTER TRUNCATE ON {self.link}
  FOR EACH STATEMENT EXECUTE FUNCTION {t}_links();
CREATE FUNCTION {t}_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {self._add(self.link, "new_rows")}
  ELSE
    UPDATE {t} k SET {date} = n.{date} FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE k.{owner} = n.id AND n.{date} IS DISTINCT FROM o.{date};
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER {t}_insert AFTER INSERT ON {self.owners}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {t}_records();
CREATE TRIGGER {t}_update AFTER UPDATE ON {self.owners}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {t}_records();
-- The links already recorded; the triggers above hold off other writers until this commits.
{self._add(self.link, self.owners)}
"""

    def forget_sql(self):
        t = self.table
        return "".join(
            [
                *(f"DROP TRIGGER {t}_{op} ON {self.link};\n" for op in ("insert", "update", "delete", "truncate")),
                *(f"DROP TRIGGER {t}_{op} ON {self.owners};\n" for op in ("insert", "update")),
                f"DROP FUNCTION {t}_links();\nDROP FUNCTION {t}_records();\n",
            ]
        )

    def from_record_sql(self, quote):
        """The table computed from the record (for ?as_recorded=), link by link.

        Each link's date is looked up by its record's key rather than joined, so that a condition on
        the end reaches the links' index and only that end's records are looked up. Joined, the
        planner sorted every record of the view by date to find a bloc's newest 200 events (23 s).
        A record's date is never empty, so a link whose record is not there has no row.
        """
        links, records = quote(self.link), quote(self.owners)
        end, owner, date = self.end, self.owner, self.date
        return (
            f"SELECT * FROM (SELECT l.{end}, (SELECT r.{date} FROM {records} r WHERE r.id = l.{owner}) AS {date}, "
            f"l.{owner} FROM {links} l) k WHERE k.{date} IS NOT NULL"
        )

    def from_changes_sql(self, quote, schema, changed, then):
        """The table as it stood (for ?as_recorded=): the rows kept now (in `schema`) of the records
        not changed since, and those of the records changed since (`changed`: SQL of their keys;
        `then`: SQL of those records as they stood) with their links as they stood (the link view).

        One union whose test of "changed since" stands on the whole of it, each branch saying which
        it is, as the record views do (public/as_recorded.py, `_one_of`): so the kept rows are read
        from the table's index in date order, the newest of an end's links first, where computed
        from the record every link of the end had its date looked up and sorted. The changed
        records' links are read once, by an array of their keys: with `IN (...)` PostgreSQL joined
        the link view to each changed record in turn, and the view rebuilt the links of all of them
        each time (80 ms for 100 changed events).
        """
        table, links = quote(self.table), quote(self.link)
        end, owner, date = self.end, self.owner, self.date
        return (
            f"SELECT u.{end}, u.{date}, u.{owner} FROM ("
            f"SELECT k.{end}, k.{date}, k.{owner}, false AS rebuilt FROM {schema}.{table} k "
            f"UNION ALL (WITH changed AS MATERIALIZED ("
            f"SELECT l.{end}, l.{owner} FROM {links} l WHERE l.{owner} = ANY(ARRAY({changed}))) "
            f"SELECT c.{end}, r.{date}, c.{owner}, true FROM changed c JOIN ({then}) r ON r.id = c.{owner})"
            f") u WHERE u.rebuilt OR u.{owner} NOT IN ({changed})"
        )

    def _rows(self, links, records):
        """The rows of the links `links` (a table, or a statement's transition table) with the dates of `records`."""
        return (
            f"SELECT l.{self.end}, r.{self.date}, l.{self.owner} FROM {links} l "
            f"JOIN {records} r ON r.id = l.{self.owner}"
        )

    def _add(self, links, records):
        return f"INSERT INTO {self.table} ({self.end}, {self.date}, {self.owner}) {self._rows(links, records)} ON CONFLICT DO NOTHING;"
