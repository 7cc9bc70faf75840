from django.apps import AppConfig


class KudosConfig(AppConfig):
    name = "kudos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_delete, post_save

        from accounts.badges import register_badge_provider
        from accounts.profile import register_panel
        from community.hooks import register_privileges_provider, register_viewer_facts
        from kudos import receivers
        from kudos.badges import privileges_for_user, rank_badges
        from kudos.models import PointRule, Rank
        from kudos.selectors import end_request, profile_panel_context, start_request
        from kudos.services import ranks_changed

        receivers.connect()
        request_started.connect(start_request, dispatch_uid="kudos.rank_table_request_started")
        request_finished.connect(end_request, dispatch_uid="kudos.rank_table_request_finished")
        register_badge_provider(key="kudos", provider=rank_badges)
        register_privileges_provider(privileges_for_user)
        # A member's privileges (what their thread page offers) follow the rank table and
        # whether they verified an email (community.ownpage).
        register_viewer_facts(key="kudos", provider=_viewer_fact_keys)
        register_panel(
            key="kudos",
            template_name="kudos/_profile_panel.html",
            build_context=profile_panel_context,
            order=10,
        )
        post_save.connect(ranks_changed, sender=Rank, dispatch_uid="kudos.rank_saved")
        post_delete.connect(ranks_changed, sender=Rank, dispatch_uid="kudos.rank_deleted")
        # Point rules are cached under the same version (kudos.selectors.point_rules).
        post_save.connect(ranks_changed, sender=PointRule, dispatch_uid="kudos.rule_saved")
        post_delete.connect(ranks_changed, sender=PointRule, dispatch_uid="kudos.rule_deleted")


def _viewer_fact_keys(user_id: int) -> list[str]:
    from accounts.selectors import VERIFIED_EMAIL_KEY
    from kudos.selectors import VERSION_KEY

    return [VERSION_KEY, VERIFIED_EMAIL_KEY.format(user_id=user_id)]
