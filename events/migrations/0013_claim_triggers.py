# The deferred checks of event claims: the preferred claim is the stored date; every claim has a source.

from django.db import migrations

from blocs.claims import fact_triggers_sql

EVENT = fact_triggers_sql("events_eventclaim", "events_eventclaimsource", "events_event", "event_id", ("date",))


# Public pages are cached until the records change (eurasia/page_cache.py): claims are records too.
CHANGED = ["events_eventclaim", "events_eventclaimsource"]


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0012_claims"),
    ]

    operations = [
        migrations.RunSQL(EVENT[0], EVENT[1]),
        migrations.RunSQL(
            [
                f"CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION records_changed();"
                for table in CHANGED
            ],
            [f"DROP TRIGGER records_changed ON {table};" for table in CHANGED],
        ),
    ]
