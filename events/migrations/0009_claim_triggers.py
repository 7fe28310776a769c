# The deferred checks of event claims: the preferred claim is the stored date; every claim has a source.

from django.db import migrations

from blocs.claims import fact_triggers_sql

EVENT = fact_triggers_sql("events_eventclaim", "events_eventclaimsource", "events_event", "event_id", ("date",))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0008_claims"),
    ]

    operations = [
        migrations.RunSQL(EVENT[0], EVENT[1]),
    ]
