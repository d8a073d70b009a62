from django.db import migrations

from handregen.audit.append_only_sql import make_append_only, undo_append_only

TABLES = ["signatures_staffsignature", "signatures_recordunlock", "signatures_signaturevoid"]


def forwards(apps, schema_editor):
    make_append_only(schema_editor, TABLES)


def backwards(apps, schema_editor):
    undo_append_only(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_staff_signatures_and_unlocks")]
    operations = [migrations.RunPython(forwards, backwards)]
