"""Mask the account data already stored in community's text and in display names.

Questions, answers, their revisions and flag notes written before the scanner masked on save
(or in a format it did not know) may hold a full card number or IBAN. This replaces each with
its mask (community.privacy), re-renders the HTML from the masked Markdown, bumps the version
of every changed thread (its cached fragments are keyed by it) and the page cache's site
version. A thread's visibility is left as it was: nothing readable is left to hide, and the
queue already had every question the old scanner found. Irreversible by design: the numbers
are not kept anywhere to put back.
"""

from django.db import migrations
from django.db.models import F


def mask(apps, schema_editor):
    from django.utils.text import slugify

    from community.markdown import render
    from community.masking import mask_stored_rows

    Thread = apps.get_model("community", "Thread")
    Answer = apps.get_model("community", "Answer")
    Revision = apps.get_model("community", "Revision")
    Flag = apps.get_model("community", "Flag")
    User = apps.get_model("accounts", "User")

    def thread_derived(masked):
        return {"body_html": render(masked["body"]), "slug": slugify(masked["title"])[:160] or "question"}

    threads = set(mask_stored_rows(Thread, ["title", "body"], derived=thread_derived))
    answers = mask_stored_rows(Answer, ["body"], derived=lambda masked: {"body_html": render(masked["body"])})
    threads.update(Answer.objects.filter(pk__in=answers).values_list("thread_id", flat=True))
    revisions = mask_stored_rows(Revision, ["title", "body"])
    threads.update(Revision.objects.filter(pk__in=revisions, thread__isnull=False).values_list("thread_id", flat=True))
    mask_stored_rows(Flag, ["note"])
    users = mask_stored_rows(User, ["display_name"])
    if threads:
        Thread.objects.filter(pk__in=threads).update(version=F("version") + 1)
    if threads or users:
        try:
            from community import pagecache

            pagecache.site_changed()
        except Exception:  # noqa: BLE001 - no cache server at migrate time: its pages expire anyway
            pass


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_search_vector"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(mask, migrations.RunPython.noop, elidable=False)]
