"""Upload checks: size, extension and content (magic bytes), so a renamed executable is refused."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Signatures of content that is never accepted, whatever the file is called.
FORBIDDEN_SIGNATURES = (
    b"MZ",  # Windows PE executables and DLLs
    b"\x7fELF",  # Linux executables
    b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe",  # Mach-O
    b"#!",  # scripts with a shebang
)
# What the content must start with for extensions that have a signature.
EXPECTED_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",),
    "ods": (b"PK\x03\x04",),
}
TEXT_EXTENSIONS = {"txt", "log", "csv"}


def validate_upload(upload) -> str:
    """Check one uploaded file; returns the content type to store, or raises ValidationError."""
    name = PurePath(upload.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [ext.lower() for ext in settings.HELPDESK_ATTACHMENT_EXTENSIONS]
    if extension not in allowed:
        raise ValidationError(
            _("%(name)s: this type of file is not accepted (allowed: %(allowed)s).")
            % {"name": name, "allowed": ", ".join(allowed)}
        )
    if upload.size > settings.HELPDESK_ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is too large (%(size)s; at most %(max)s).")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "max": filesizeformat(settings.HELPDESK_ATTACHMENT_MAX_BYTES),
            }
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if any(head.startswith(signature) for signature in FORBIDDEN_SIGNATURES):
        raise ValidationError(_("%(name)s looks like a program: it is refused.") % {"name": name})
    expected = EXPECTED_SIGNATURES.get(extension)
    if expected and not any(head.startswith(signature) for signature in expected):
        raise ValidationError(
            _("%(name)s does not contain what its name says (.%(ext)s).") % {"name": name, "ext": extension}
        )
    if extension in TEXT_EXTENSIONS:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            try:
                head.decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                raise ValidationError(_("%(name)s is not a text file.") % {"name": name}) from None
        if b"\x00" in head:
            raise ValidationError(_("%(name)s is not a text file.") % {"name": name})
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
