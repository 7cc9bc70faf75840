"""Mask account data already stored in staff award notes (community.privacy).

Irreversible by design: the numbers are not kept anywhere to put back.
"""

from django.db import migrations


def mask(apps, schema_editor):
    from community.masking import mask_stored_rows

    mask_stored_rows(apps.get_model("kudos", "LedgerEntry"), ["note"])


class Migration(migrations.Migration):
    dependencies = [
        ("kudos", "0002_default_rules_and_ranks"),
        ("community", "0004_mask_account_data"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=False)]
