# Each event's blocs, countries, sources and disputed flag, kept by statement-level triggers (EventLinks,
# eurasia/kept_links.py).

import django.contrib.postgres.fields
from django.db import migrations, models

from eurasia.kept_links import SOURCES, KeptLinks, Link

# A copy of EventLinks.KEPT as it stood when this migration was written.
KEPT = KeptLinks(
    table="events_links_kept",
    owners="events_event",
    owner="event_id",
    links=(
        Link("blocs", "events_eventbloc", "bloc_id", "blocs_bloc", "array_agg(t.slug ORDER BY t.slug)", ("slug",)),
        Link(
            "countries",
            "events_eventcountry",
            "country_id",
            "blocs_country",
            "array_agg(t.alpha3 ORDER BY t.alpha3)",
            ("alpha3",),
        ),
        Link("sources", "events_eventsource", "source_id", "blocs_source", SOURCES, ("key", "title", "url")),
    ),
    claims="events_eventclaim",
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
                        db_default=False,
                        default=False,
                        help_text="The record has a claim other than the preferred one.",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "events' links (kept by the database)",
                "db_table": "events_links_kept",
            },
        ),
        migrations.RunSQL(KEPT.keep_sql(), KEPT.forget_sql()),
    ]
