"""Run the test OpenID Connect provider: migrate its throwaway database, create its members
and the Peerdesk client application, then serve on 127.0.0.1:<port> until killed.

    python -m tests.accounts.oidc_provider.serve <port>

Environment: OIDC_PROVIDER_DB, OIDC_PROVIDER_RSA_KEY, OIDC_PROVIDER_MEMBERS (JSON),
OIDC_PROVIDER_CLIENT (JSON: client_id, client_secret, redirect_uris).
"""

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, member in settings.MEMBERS.items():
        user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": member["email"]})
        user.set_password(member["password"])
        user.save()
    client = json.loads(os.environ["OIDC_PROVIDER_CLIENT"])
    Application.objects.get_or_create(
        client_id=client["client_id"],
        defaults=dict(
            name="Peerdesk",
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        ),
    )
    server = make_server("127.0.0.1", port, get_wsgi_application(), server_class=ThreadingWSGIServer)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
