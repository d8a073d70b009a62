from django.db import migrations

from handregen.audit.append_only_sql import make_append_only, undo_append_only

TABLES = ["interop_bulkexportcancellation", "interop_bulkexportremoval"]


def forwards(apps, schema_editor):
    make_append_only(schema_editor, TABLES)


def backwards(apps, schema_editor):
    undo_append_only(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("interop", "0007_bulk_export_progress_cancel_removal")]
    operations = [migrations.RunPython(forwards, backwards)]
