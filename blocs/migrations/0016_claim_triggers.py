# The deferred checks of bloc and spell claims: the preferred claim is the stored date; every claim has a source.

from django.db import migrations

from blocs.claims import fact_triggers_sql

BLOC = fact_triggers_sql("blocs_blocclaim", "blocs_blocclaimsource", "blocs_bloc", "bloc_id", ("founded", "dissolved"))
SPELL = fact_triggers_sql(
    "blocs_membershipclaim",
    "blocs_membershipclaimsource",
    "blocs_membership",
    "membership_id",
    ("start", "end", "suspension_start", "suspension_end"),
)


# Public pages are cached until the records change (eurasia/page_cache.py): claims are records too.
CHANGED = [
    "blocs_reading",
    "blocs_blocclaim",
    "blocs_blocclaimsource",
    "blocs_membershipclaim",
    "blocs_membershipclaimsource",
]


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0015_claims"),
    ]

    operations = [
        migrations.RunSQL(BLOC[0], BLOC[1]),
        migrations.RunSQL(SPELL[0], SPELL[1]),
        migrations.RunSQL(
            [
                f"CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION records_changed();"
                for table in CHANGED
            ],
            [f"DROP TRIGGER records_changed ON {table};" for table in CHANGED],
        ),
    ]
