from django.db import migrations

from handregen.audit.append_only_sql import make_append_only, undo_append_only

TABLES = ["scheduling_appointmentmessage"]


def forwards(apps, schema_editor):
    make_append_only(schema_editor, TABLES)


def backwards(apps, schema_editor):
    undo_append_only(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_calendar_resources_and_appointments"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
