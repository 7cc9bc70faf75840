"""Mask account data already stored in staff notes and ticket history (community.privacy).

Irreversible by design: the numbers are not kept anywhere to put back.
"""

from django.db import migrations


def mask(apps, schema_editor):
    from community.masking import mask_stored_rows

    mask_stored_rows(apps.get_model("escalation", "TicketNote"), ["body"])
    mask_stored_rows(apps.get_model("escalation", "TicketEvent"), ["detail"])


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0003_more_ticket_history_actions"),
        ("community", "0004_mask_account_data"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=False)]
