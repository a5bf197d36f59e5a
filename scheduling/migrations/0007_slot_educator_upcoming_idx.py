"""An educator's upcoming or past slots that are not withdrawn, counted from an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0006_slot_course_start_idx_covers_open")]

    operations = [
        migrations.AddIndex(
            model_name="slot",
            index=models.Index(
                fields=["educator", "withdrawn_at", "ends_at"], name="slot_educator_upcoming_idx"
            ),
        ),
    ]
