"""bin/demo's email backend: the console's output, each email headed by a line a person can grep."""

from io import StringIO

from django.core.mail import EmailMessage

from helpdesk.mail import ConsoleEmailBackend


def test_each_email_is_headed_by_its_recipients_and_subject_in_plain_text():
    stream = StringIO()
    message = EmailMessage(subject="[2026-000001] Nous avons bien reçu votre demande : écran noir",
                           body="Bonjour", to=["camille.dubois@example.org"])

    ConsoleEmailBackend(stream=stream).send_messages([message])

    output = stream.getvalue()
    assert output.startswith("Email to camille.dubois@example.org: [2026-000001] Nous avons bien reçu votre "
                             "demande : écran noir\n")
    assert "=?utf-8?q?" in output  # the real, encoded header follows, as sent
