from django.apps import AppConfig


class ExpertsConfig(AppConfig):
    name = "experts"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Experts"

    def ready(self) -> None:
        # Importing tasks registers them with Celery in every process, so services can queue
        # them by name (config.tasks.task_named).
        from accounts.badges import register_badge_provider
        from accounts.profile import register_panel
        from community.hooks import register_answer_labels, register_thread_notice, register_viewer_facts
        from escalation.diversion import register_diverter
        from experts import receivers, tasks  # noqa: F401
        from experts.badges import VERSION_KEY as BADGES_VERSION_KEY
        from experts.badges import expert_badges
        from experts.selectors import answer_labels, profile_panel_context, thread_notice
        from experts.services import divert_deadlines

        receivers.connect()
        register_diverter(key="experts", diverter=divert_deadlines)
        register_badge_provider(key="experts", provider=expert_badges)
        register_thread_notice(key="experts", provider=thread_notice)
        register_answer_labels(key="experts", provider=answer_labels)
        # Who is an expert and which threads have offers decide the experts panel and badge.
        register_viewer_facts(key="experts", provider=lambda user_id: [BADGES_VERSION_KEY])
        register_panel(
            key="experts", template_name="experts/_profile_panel.html", build_context=profile_panel_context, order=5
        )
