"""Formerly: the deflection report's indexes on community's tables, in raw SQL.

They are Django indexes now (community.models, Index(include=...)), built by
community/migrations/0006_report_indexes with AddIndexConcurrently. Installs that applied this
migration before keep the indexes it built (0006 finds them by name and builds nothing); new
installs build them in 0006. Kept, empty, so the migration graph of existing installs holds.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("community", "0001_initial"),
    ]

    operations = []
