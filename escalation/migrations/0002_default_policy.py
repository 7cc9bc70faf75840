from django.db import migrations

# Kept literal (not imported from models) so the migration means the same thing forever.
DEFAULT_ANSWER_WITHIN_MINUTES = 4 * 60
DEFAULT_SOLVE_WITHIN_MINUTES = 72 * 60
DEFAULT_STAFF_RESPONSE_MINUTES = 8 * 60


def create_default_policy(apps, schema_editor):
    EscalationPolicy = apps.get_model("escalation", "EscalationPolicy")
    EscalationPolicy.objects.get_or_create(
        is_default=True,
        defaults={
            "answer_within_minutes": DEFAULT_ANSWER_WITHIN_MINUTES,
            "solve_within_minutes": DEFAULT_SOLVE_WITHIN_MINUTES,
            "staff_response_minutes": DEFAULT_STAFF_RESPONSE_MINUTES,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
