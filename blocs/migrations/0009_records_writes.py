"""The records' state, moved by this database's committed writes only (eurasia/page_cache.py).

Each transaction that writes to a record table leaves one row in `records_writes`; the page
cache keys pages on how many such transactions the reader sees. Readers' views of committed
transactions are nested (whatever two readers see, one sees all the other does, on the primary
as on a replica that replays it), so the same number means the same records. The change counter
alone cannot say this: a writer moves it before its data is visible, and a replica sees a
sequence move only once every 32 values (PostgreSQL logs sequences ahead).

The trigger folds the rows of committed writers into its own, so the table stays a few rows
long however many saves there have been: their sum, seen before or after the fold, is the same.
SKIP LOCKED means two curators never wait for each other over it.
"""

from django.db import migrations

FUNCTION = """
CREATE TABLE records_writes (
    xid xid8 PRIMARY KEY,
    writes bigint NOT NULL
);
CREATE OR REPLACE FUNCTION records_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('records_changes');
    INSERT INTO records_writes (xid, writes) VALUES (pg_current_xact_id(), 1) ON CONFLICT (xid) DO NOTHING;
    IF FOUND THEN
        WITH folded AS (
            DELETE FROM records_writes WHERE xid IN (
                SELECT xid FROM records_writes WHERE xid <> pg_current_xact_id() FOR UPDATE SKIP LOCKED
            )
            RETURNING writes
        )
        UPDATE records_writes SET writes = writes + (SELECT coalesce(sum(writes), 0) FROM folded)
        WHERE xid = pg_current_xact_id();
    END IF;
    RETURN NULL;
END
$$;
"""

BEFORE = """
CREATE OR REPLACE FUNCTION records_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('records_changes');
    RETURN NULL;
END
$$;
DROP TABLE records_writes;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0008_membership_notes_trigram"),
    ]

    operations = [migrations.RunSQL(FUNCTION, BEFORE)]
