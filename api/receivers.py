"""api's reactions to the other apps' domain events: outgoing webhooks (api.webhooks)."""


def connect() -> None:
    pass
