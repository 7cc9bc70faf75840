from django.apps import AppConfig


def rebuild_when_a_worker_starts(sender=None, **kwargs) -> None:
    """Queue one rollup rebuild when a worker starts, so a new deployment (or `make run`)
    shows the days before today without waiting a whole REPORT_ROLLUP_SECONDS."""
    from reports.tasks import rebuild_recent_stats

    rebuild_recent_stats.delay()


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Deflection report"

    def ready(self) -> None:
        from celery.signals import worker_ready

        worker_ready.connect(rebuild_when_a_worker_starts, dispatch_uid="reports-rebuild-on-worker-start", weak=False)
