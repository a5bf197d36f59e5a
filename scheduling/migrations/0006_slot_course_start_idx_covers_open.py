"""A course's slots by time, with what makes one open and bookable: a course's open slots
with seats left are counted from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_booking_educator_required")]

    operations = [
        migrations.RemoveIndex(model_name="slot", name="slot_course_start_idx"),
        migrations.AddIndex(
            model_name="slot",
            index=models.Index(
                fields=["course", "starts_at", "withdrawn_at", "seats_taken", "capacity"],
                name="slot_course_start_idx",
            ),
        ),
    ]
