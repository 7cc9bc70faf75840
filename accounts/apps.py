from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.models import EmailAddress
        from django.db.models.signals import post_delete, post_save

        from accounts.selectors import forget_verified_email

        post_save.connect(forget_verified_email, sender=EmailAddress, dispatch_uid="accounts.email_saved")
        post_delete.connect(forget_verified_email, sender=EmailAddress, dispatch_uid="accounts.email_deleted")
