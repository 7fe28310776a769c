# A bloc's and a country's events with their dates, kept by statement-level triggers in date order
# (BlocEventDate, CountryEventDate; eurasia/kept_links.py, KeptDates).

from django.db import migrations, models

from eurasia.kept_links import KeptDates

# Copies of BlocEventDate.KEPT and CountryEventDate.KEPT as they stood when this migration was written.
BLOCS = KeptDates("events_bloc_event_dates", "events_eventbloc", "bloc_id", "events_event", "event_id")
COUNTRIES = KeptDates("events_country_event_dates", "events_eventcountry", "country_id", "events_event", "event_id")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0016_links_kept"),
    ]

    operations = [
        migrations.CreateModel(
            name="BlocEventDate",
            fields=[
                ("date", models.DateField(help_text="The event's date.")),
                ("event_id", models.BigIntegerField(help_text="The event's key.")),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "bloc_id", "event_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("bloc_id", models.BigIntegerField(help_text="The bloc's key.")),
            ],
            options={
                "verbose_name_plural": "blocs' events by date (kept by the database)",
                "db_table": "events_bloc_event_dates",
                "indexes": [models.Index(fields=["bloc_id", "-date", "-event_id"], name="bloc_event_dates_newest")],
            },
        ),
        migrations.CreateModel(
            name="CountryEventDate",
            fields=[
                ("date", models.DateField(help_text="The event's date.")),
                ("event_id", models.BigIntegerField(help_text="The event's key.")),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "country_id", "event_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("country_id", models.BigIntegerField(help_text="The country's key.")),
            ],
            options={
                "verbose_name_plural": "countries' events by date (kept by the database)",
                "db_table": "events_country_event_dates",
                "indexes": [
                    models.Index(fields=["country_id", "-date", "-event_id"], name="country_event_dates_newest")
                ],
            },
        ),
        migrations.RunSQL(BLOCS.keep_sql(), BLOCS.forget_sql()),
        migrations.RunSQL(COUNTRIES.keep_sql(), COUNTRIES.forget_sql()),
    ]
