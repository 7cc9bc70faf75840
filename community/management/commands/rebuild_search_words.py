from django.core.management.base import BaseCommand

from community.search import rebuild_search_words


class Command(BaseCommand):
    help = "Rebuild search's typo-correction vocabulary from the titles of listed threads (beat does it too)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{rebuild_search_words():,} words.")
