# The events per year, kept by statement-level triggers on the events table (EventsInYear).

from django.db import migrations, models

# Each statement's rows are counted once by year from its transition tables, so a COPY of a
# million events costs one grouped upsert, not a million. TRUNCATE empties the counts with it.
KEEP = """
CREATE FUNCTION events_per_year_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM events_per_year;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE events_per_year y SET events = y.events - gone.n
      FROM (SELECT extract(year FROM date)::int AS year, count(*) AS n FROM old_events GROUP BY 1) gone
     WHERE y.year = gone.year;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO events_per_year (year, events)
    SELECT extract(year FROM date)::int, count(*) FROM new_events GROUP BY 1 ORDER BY 1
    ON CONFLICT (year) DO UPDATE SET events = events_per_year.events + excluded.events;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_per_year_insert AFTER INSERT ON events_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_per_year_kept();
CREATE TRIGGER events_per_year_update AFTER UPDATE ON events_event
  REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_per_year_kept();
CREATE TRIGGER events_per_year_delete AFTER DELETE ON events_event
  REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION events_per_year_kept();
CREATE TRIGGER events_per_year_truncate AFTER TRUNCATE ON events_event
  FOR EACH STATEMENT EXECUTE FUNCTION events_per_year_kept();
-- The events already recorded; the triggers above hold off other writers until this commits.
INSERT INTO events_per_year (year, events)
SELECT extract(year FROM date)::int, count(*) FROM events_event GROUP BY 1;
"""

FORGET = """
DROP TRIGGER events_per_year_insert ON events_event;
DROP TRIGGER events_per_year_update ON events_event;
DROP TRIGGER events_per_year_delete ON events_event;
DROP TRIGGER events_per_year_truncate ON events_event;
DROP FUNCTION events_per_year_kept();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0008_field_labels_in_russian"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventsInYear",
            fields=[
                ("year", models.IntegerField(help_text="A calendar year.", primary_key=True, serialize=False)),
                ("events", models.BigIntegerField(help_text="How many events began in it (kept by the database).")),
            ],
            options={
                "verbose_name_plural": "events in each year",
                "db_table": "events_per_year",
            },
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
