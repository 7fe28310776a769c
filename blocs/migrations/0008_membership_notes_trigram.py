# The admin's search over spells' notes, served by a trigram index.

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("blocs", "0007_importfile_owner"),
    ]

    operations = [
        # pg_trgm ships with PostgreSQL's contrib modules, as btree_gist does.
        TrigramExtension(),
        migrations.AddIndex(
            model_name="membership",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("notes"), name="gin_trgm_ops"
                ),
                name="membership_notes_trgm",
            ),
        ),
    ]
