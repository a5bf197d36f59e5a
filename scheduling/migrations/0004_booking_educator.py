"""Bookings carry their slot's educator: an educator's requests and their per-status counts
come from one index (booking_educator_status_idx, 0005) instead of from every slot they
ever published. Existing rows are filled from their slots here; 0005 makes the column
required (on PostgreSQL the two cannot share a transaction: the filled rows' deferred
foreign-key checks are pending when ALTER TABLE runs)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL = (
    "UPDATE scheduling_booking SET educator_id = (SELECT s.educator_id FROM scheduling_slot s"
    " WHERE s.id = scheduling_booking.slot_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_policy_horizon_zero_means_no_limit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="educator",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="requests_received",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
    ]
