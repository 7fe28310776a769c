"""The API's rate-limit counts: an unlogged table, as the counts need not survive a crash."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RateWindow",
            fields=[
                (
                    "address",
                    models.CharField(
                        help_text="The client's address, as eurasia.throttle reads it.",
                        max_length=64,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "window",
                    models.BigIntegerField(help_text="The window counted: seconds since 1970 divided by its length."),
                ),
                ("hits", models.PositiveIntegerField(help_text="Requests from the address in that window.")),
            ],
        ),
        migrations.RunSQL("ALTER TABLE api_ratewindow SET UNLOGGED", "ALTER TABLE api_ratewindow SET LOGGED"),
    ]
