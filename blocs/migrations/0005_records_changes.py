"""A counter that moves on every write to the records, so public pages can be cached until they change.

A statement-level trigger on each record table calls nextval(): a sequence takes no lock, so
concurrent curators never wait on each other (or deadlock) over it. A reader keys a cached page
on this counter and on its transaction snapshot together (eurasia/page_cache.py): the counter
sees writes inside the reader's own transaction, the snapshot sees other transactions' commits.
"""

from django.db import migrations

TABLES = [
    "blocs_country",
    "blocs_bloc",
    "blocs_source",
    "blocs_membership",
    "blocs_membershipsource",
    "blocs_blocsource",
    "blocs_succession",
]

FUNCTION = """
CREATE SEQUENCE records_changes;
CREATE FUNCTION records_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('records_changes');
    RETURN NULL;
END
$$;
"""


def triggers(tables):
    create = [
        f"CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION records_changed();"
        for table in tables
    ]
    drop = [f"DROP TRIGGER records_changed ON {table};" for table in tables]
    return migrations.RunSQL(create, drop)


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0004_trust_history_links"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION records_changed(); DROP SEQUENCE records_changes;"),
        triggers(TABLES),
    ]
