"""Events and their links move the records' change counter too (blocs 0005)."""

from django.db import migrations

TABLES = [
    "events_event",
    "events_event_memberships",
    "events_eventbloc",
    "events_eventcountry",
    "events_eventsource",
]


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0005_records_changes"),
        ("events", "0002_trust_history_links"),
    ]

    operations = [
        migrations.RunSQL(
            [
                f"CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION records_changed();"
                for table in TABLES
            ],
            [f"DROP TRIGGER records_changed ON {table};" for table in TABLES],
        ),
    ]
