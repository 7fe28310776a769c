# The events' search vector stored in a generated column with its own GIN index (StoredSearchVector),
# in place of the GIN index over the expression.

from django.db import migrations

# The expression of events.models.search_text_vector(), as PostgreSQL wrote it for the old index.
VECTOR = (
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '') || ' ' "
    "|| COALESCE(location, '')) || to_tsvector('russian'::regconfig, COALESCE(title_ru, '') || ' ' "
    "|| COALESCE(description_ru, ''))"
)

STORE = f"""
ALTER TABLE events_event ADD COLUMN search tsvector GENERATED ALWAYS AS ({VECTOR}) STORED;
CREATE INDEX event_search_stored ON events_event USING gin (search);
"""

FORGET = """
DROP INDEX event_search_stored;
ALTER TABLE events_event DROP COLUMN search;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0010_event_updated_at"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="event", name="event_search"),
        migrations.RunSQL(STORE, FORGET),
    ]
