"""A real OpenID Connect provider for the sign-in tests: django-oauth-toolkit in a Django project of its
own, run as a separate process (tests/oidc_idp.py starts it) with its own settings, SQLite database and an
RSA key made for the run."""
