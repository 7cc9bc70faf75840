from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

# A username no real one can be: the profile URL is reversed once with it, then filled in.
_USERNAME_SLOT = "username0slot0x5eed"


@lru_cache(maxsize=16)
def _profile_url(script_prefix: str, urlconf) -> str:
    return reverse("accounts:profile", kwargs={"username": _USERNAME_SLOT}, urlconf=urlconf)


class User(AbstractUser):
    """A member of the community. Staff (support specialists) are ``is_staff``.

    ``points`` is the member's kudos total, kept on this row so that every page that shows a
    name can show its rank badge from the same select_related join. Only kudos.services moves
    it (with F(), in the same transaction as the ledger row); kudos' reconcile command checks
    it against the ledger.
    """

    display_name = models.CharField(
        "display name",
        max_length=60,
        blank=True,
        help_text="Shown next to your questions and answers. Defaults to your username.",
    )
    points = models.IntegerField(default=0, editable=False)
    # accounts.names.skeleton of each name, kept by save(): "does another member already look
    # like this name?" is one query over two indexed columns (accounts.selectors).
    username_skeleton = models.CharField(max_length=150, blank=True, default="", editable=False, db_index=True)
    display_name_skeleton = models.CharField(max_length=150, blank=True, default="", editable=False, db_index=True)
    time_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        help_text="Times on the site are shown in this zone. Empty: your browser's.",
    )

    class Meta:
        indexes = [models.Index(fields=["-points"], name="user_points_desc")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from accounts.names import skeleton

        self.username_skeleton = skeleton(self.username)
        self.display_name_skeleton = skeleton(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ({"username", "display_name"} & set(update_fields)):
            kwargs["update_fields"] = {*update_fields, "username_skeleton", "display_name_skeleton"}
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        """The profile's URL: reversed once per URL configuration and filled in with the
        username quoted as reverse() quotes it (a page lists a hundred members, and reversing
        each was a tenth of a thread page rendered from scratch)."""
        username = self.username
        if not username or "/" in username:  # what reverse() would refuse: let it say so
            return reverse("accounts:profile", kwargs={"username": username})
        url = _profile_url(get_script_prefix(), get_urlconf())
        return url.replace(_USERNAME_SLOT, quote(username, safe=RFC3986_SUBDELIMS + "/~:@"))


def user_display(user: User) -> str:
    return user.name
