"""The "Community managers" group, holding console.manage_community: giving a member the role
is adding them to it (on /manage/members/ or in the admin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Community managers"


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations; make console's now so the group
    # can hold it.
    app_config = apps.get_app_config("console")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(Permission.objects.get(codename="manage_community", content_type__app_label="console"))


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
