"""Mask account data already stored in notification texts (they quote question titles and
member names, which may have held a full number before titles were masked on save).

Irreversible by design: the numbers are not kept anywhere to put back.
"""

from django.db import migrations


def mask(apps, schema_editor):
    from community.masking import mask_stored_rows

    mask_stored_rows(apps.get_model("notifications", "Notification"), ["text"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("community", "0004_mask_account_data"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=False)]
