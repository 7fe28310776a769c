# Each event's blocs, countries, sources and disputed flag, kept by statement-level triggers (EventLinks).

import django.contrib.postgres.fields
from django.db import migrations, models

# What each kept column aggregates: (column, link table, its column naming the other end, the other
# end's table, the aggregate over the ends as `t`, the ends' columns it shows).
LINKS = [
    ("blocs", "events_eventbloc", "bloc_id", "blocs_bloc", "array_agg(t.slug ORDER BY t.slug)", ["slug"]),
    (
        "countries",
        "events_eventcountry",
        "country_id",
        "blocs_country",
        "array_agg(t.alpha3 ORDER BY t.alpha3)",
        ["alpha3"],
    ),
    (
        "sources",
        "events_eventsource",
        "source_id",
        "blocs_source",
        "json_agg(json_build_object('key', t.key, 'title', t.title, 'url', NULLIF(t.url, '')) ORDER BY t.key)::text",
        ["key", "title", "url"],
    ),
]

EMPTY = "k.blocs IS NULL AND k.countries IS NULL AND k.sources IS NULL AND NOT k.disputed"


def fresh(column, link, end, target, aggregate):
    """The column's value for each event in `ids` that has one, computed from the links."""
    if column == "disputed":
        return (
            "SELECT k.event_id, true AS v FROM events_eventclaim k "
            "WHERE k.event_id IN (SELECT unnest(ids)) AND k.rank <> 'preferred' GROUP BY 1"
        )
    return (
        f"SELECT l.event_id, {aggregate} AS v FROM {link} l JOIN {target} t ON t.id = l.{end} "
        f"WHERE l.event_id IN (SELECT unnest(ids)) GROUP BY 1"
    )


def refresh_branch(column, link=None, end=None, target=None, aggregate=None):
    value = "coalesce(f.v, false)" if column == "disputed" else "f.v"
    return f"""
  IF kind = '{column}' THEN
    INSERT INTO events_links_kept AS k (event_id, {column})
    SELECT i.id, {value} FROM unnest(ids) AS i(id) LEFT JOIN ({fresh(column, link, end, target, aggregate)}) f
      ON f.event_id = i.id
    ON CONFLICT (event_id) DO UPDATE SET {column} = excluded.{column};
  END IF;"""


# events_links_refresh(kind, ids): the column `kind` computed afresh for the events `ids`, and the
# rows left with nothing to say removed. The triggers below name the events a statement touched,
# from its transition tables, so a COPY of a million links costs one grouped upsert, not a million.
REFRESH = f"""
CREATE FUNCTION events_links_refresh(kind text, ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL THEN
    RETURN;
  END IF;{"".join(refresh_branch(*link[:5]) for link in LINKS)}{refresh_branch("disputed")}
  DELETE FROM events_links_kept k WHERE k.event_id IN (SELECT unnest(ids)) AND {EMPTY};
END
$$;
"""


def link_trigger(column, link):
    """The trigger function and triggers of one link table (or of the claims, for `disputed`)."""
    function = f"events_links_kept_{column}"
    cleared = "false" if column == "disputed" else "NULL"
    return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE events_links_kept SET {column} = {cleared} WHERE {column} IS DISTINCT FROM {cleared};
    DELETE FROM events_links_kept k WHERE {EMPTY};
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT event_id) INTO ids FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT event_id) INTO ids FROM old_rows;
  ELSE
    SELECT array_agg(event_id) INTO ids FROM (SELECT event_id FROM new_rows UNION SELECT event_id FROM old_rows) touched;
  END IF;
  PERFORM events_links_refresh('{column}', ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER links_kept_insert AFTER INSERT ON {link}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER links_kept_update AFTER UPDATE ON {link}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER links_kept_delete AFTER DELETE ON {link}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER links_kept_truncate AFTER TRUNCATE ON {link}
  FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


def end_trigger(column, link, end, target, shown):
    """The trigger of a linked table: a change to what the column shows of it rewrites its events' rows."""
    function = f"events_links_kept_{target}"
    changed = " OR ".join(f"n.{name} IS DISTINCT FROM o.{name}" for name in shown)
    return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  SELECT array_agg(DISTINCT l.event_id) INTO ids
    FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN {link} l ON l.{end} = n.id
   WHERE {changed};
  PERFORM events_links_refresh('{column}', ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER links_kept_update AFTER UPDATE ON {target}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


KEEP = "".join(
    [
        REFRESH,
        *(link_trigger(column, link) for column, link, *_ in LINKS),
        link_trigger("disputed", "events_eventclaim"),
        *(end_trigger(column, link, end, target, shown) for column, link, end, target, _, shown in LINKS),
        # The links and claims already recorded; the triggers above hold off other writers until this commits.
        *(
            f"SELECT events_links_refresh('{column}', ARRAY(SELECT DISTINCT event_id FROM {link}));\n"
            for column, link in [(c, link) for c, link, *_ in LINKS] + [("disputed", "events_eventclaim")]
        ),
    ]
)

FORGET = "".join(
    [
        *(
            f"DROP TRIGGER links_kept_{op} ON {link};\n"
            for link in [link for _, link, *_ in LINKS] + ["events_eventclaim"]
            for op in ("insert", "update", "delete", "truncate")
        ),
        *(f"DROP TRIGGER links_kept_update ON {target};\n" for _, _, _, target, *_ in LINKS),
        *(f"DROP FUNCTION events_links_kept_{column}();\n" for column, *_ in LINKS),
        "DROP FUNCTION events_links_kept_disputed();\n",
        *(f"DROP FUNCTION events_links_kept_{target}();\n" for _, _, _, target, *_ in LINKS),
        "DROP FUNCTION events_links_refresh(text, bigint[]);\n",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0015_lifetime_reviewed"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventLinks",
            fields=[
                ("event_id", models.BigIntegerField(help_text="The event's key.", primary_key=True, serialize=False)),
                (
                    "blocs",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), help_text="The blocs' slugs, in order.", null=True, size=None
                    ),
                ),
                (
                    "countries",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(),
                        help_text="The countries' alpha-3 codes, in order.",
                        null=True,
                        size=None,
                    ),
                ),
                (
                    "sources",
                    models.TextField(help_text="The sources (key, title, url) as a JSON array, by key.", null=True),
                ),
                (
                    "disputed",
                    models.BooleanField(
                        db_default=False, default=False, help_text="The event has a claim other than the preferred one."
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "events' links (kept by the database)",
                "db_table": "events_links_kept",
            },
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
