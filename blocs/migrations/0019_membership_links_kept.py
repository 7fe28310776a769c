# Each spell's sources and disputed flag, kept by statement-level triggers (MembershipLinks,
# eurasia/kept_links.py).

from django.db import migrations, models

from eurasia.kept_links import SOURCES, KeptLinks, Link

# A copy of MembershipLinks.KEPT as it stood when this migration was written.
KEPT = KeptLinks(
    table="blocs_membership_links_kept",
    owners="blocs_membership",
    owner="membership_id",
    links=(Link("sources", "blocs_membershipsource", "source_id", "blocs_source", SOURCES, ("key", "title", "url")),),
    claims="blocs_membershipclaim",
)


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0018_source_title_checked"),
    ]

    operations = [
        migrations.CreateModel(
            name="MembershipLinks",
            fields=[
                (
                    "membership_id",
                    models.BigIntegerField(help_text="The spell's key.", primary_key=True, serialize=False),
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
                "verbose_name_plural": "spells' links (kept by the database)",
                "db_table": "blocs_membership_links_kept",
            },
        ),
        migrations.RunSQL(KEPT.keep_sql(), KEPT.forget_sql()),
    ]
