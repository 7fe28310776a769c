"""Releases are never deleted and their files never change: the database refuses, whatever asks.

Only a withdrawal (its date and reason) and the forgetting of a departed publisher may change a
release row. TRUNCATE, which only an operator or a test's flush runs, is left alone. A release
published or withdrawn moves the records' state, so cached pages that list releases are redrawn.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION releases_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Releases are never deleted; withdraw one instead.' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_TABLE_NAME = 'releases_releasefile' THEN
        RAISE EXCEPTION 'A published release cannot be altered; only withdrawn, once.' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.version IS DISTINCT FROM OLD.version
       OR NEW.published_at IS DISTINCT FROM OLD.published_at
       OR NEW.notes IS DISTINCT FROM OLD.notes
       OR NEW.previous_id IS DISTINCT FROM OLD.previous_id
       OR NEW.change_counts IS DISTINCT FROM OLD.change_counts
       OR NEW.storage_prefix IS DISTINCT FROM OLD.storage_prefix
       OR (OLD.withdrawn_at IS NOT NULL AND NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at)
       OR (OLD.withdrawn_at IS NOT NULL AND NEW.withdrawal_reason IS DISTINCT FROM OLD.withdrawal_reason)
       OR (NEW.published_by_id IS NOT NULL AND NEW.published_by_id IS DISTINCT FROM OLD.published_by_id) THEN
        RAISE EXCEPTION 'A published release cannot be altered; only withdrawn, once.' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER releases_refuse_change BEFORE UPDATE OR DELETE ON releases_release
    FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
CREATE TRIGGER releases_refuse_change BEFORE UPDATE OR DELETE ON releases_releasefile
    FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
CREATE TRIGGER records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON releases_release
    FOR EACH STATEMENT EXECUTE FUNCTION records_changed();
"""

BACKWARD = """
DROP TRIGGER records_changed ON releases_release;
DROP TRIGGER releases_refuse_change ON releases_releasefile;
DROP TRIGGER releases_refuse_change ON releases_release;
DROP FUNCTION releases_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0001_release"),
        ("blocs", "0009_records_writes"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
