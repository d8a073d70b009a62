from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("outcomes", "0003_response_site_scores_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="questionnairelink",
            name="draft",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
