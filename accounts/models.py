from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse


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
        return reverse("accounts:profile", kwargs={"username": self.username})


def user_display(user: User) -> str:
    return user.name
