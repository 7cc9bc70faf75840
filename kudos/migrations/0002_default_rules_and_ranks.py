"""The point rules (one row per action) and the ranks a new site starts with."""

from django.db import migrations

RULES = [
    ("answer_upvoted", 10, "Your answer got a “This helped”."),
    ("answer_accepted", 15, "Your answer was accepted as the solution."),
    ("accepted_an_answer", 2, "You accepted an answer to your question."),
    ("me_too", 2, "Someone else has the problem your question describes."),
]

# Colours reach 4.5:1 or more on white. Posting limits stay open by default: a new site
# should not throttle its first members; admins tighten them per rank.
RANKS = [
    dict(name="New member", min_points=0, colour="#57606a", description="Welcome! Answer questions to earn kudos.",
         links_per_day=5),
    dict(name="Contributor", min_points=50, colour="#1a7f37", description="Has helped a few fellow customers.",
         links_per_day=20),
    dict(name="Helper", min_points=200, colour="#1f5fbf", description="A regular, reliable helper.",
         can_retag=True),
    dict(name="Expert", min_points=1000, colour="#6b3fb3", description="Knows the products inside out.",
         can_retag=True, flag_weight=2),
    dict(name="Super fan", min_points=5000, colour="#8a5a00", description="One of the community's pillars.",
         can_retag=True, flag_weight=2),
]


def create_defaults(apps, schema_editor):
    PointRule = apps.get_model("kudos", "PointRule")
    Rank = apps.get_model("kudos", "Rank")
    for action, points, description in RULES:
        PointRule.objects.get_or_create(action=action, defaults={"points": points, "description": description})
    if not Rank.objects.exists():
        for rank in RANKS:
            Rank.objects.create(**rank)


class Migration(migrations.Migration):
    dependencies = [("kudos", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
