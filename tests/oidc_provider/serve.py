"""python -m tests.oidc_provider.serve: migrate the provider's database, create its people and clients
(IDP_SETUP, JSON), and serve it on 127.0.0.1:IDP_PORT until terminated."""

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the parent's signature
        sys.stderr.write("idp: " + (format % args) + "\n")


def setup(config: dict) -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in config["people"]:
        user = User.objects.create_user(person["username"], email=person["email"], password=person["password"],
                                        first_name=person["first_name"], last_name=person["last_name"])
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in person["groups"]])
    for client in config["clients"]:
        Application.objects.create(
            name=client["client_id"], client_id=client["client_id"], client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client["post_logout_redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
        )


def main() -> None:
    import django

    django.setup()
    setup(json.loads(os.environ["IDP_SETUP"]))
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", int(os.environ["IDP_PORT"]), get_wsgi_application(),
                         server_class=ThreadingServer, handler_class=QuietHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
