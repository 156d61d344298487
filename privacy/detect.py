"""Personal data in free text: emails, French phone numbers, IBANs (mod 97), card numbers (Luhn) and
French social security numbers (NIR, with their key). Pure functions, no database."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

KINDS = {
    "email": _("email address"),
    "phone": _("phone number"),
    "iban": _("IBAN"),
    "card": _("card number"),
    "nir": _("social security number"),
}

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Z0-9])", re.IGNORECASE)
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
NIR = re.compile(r"(?<![\w])[12][\s]?\d{2}[\s]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s]?(?:\d{2}|2A|2B)[\s]?\d{3}[\s]?\d{3}"
                 r"[\s]?\d{2}(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    value: str

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def masked(self) -> str:
        """Enough to recognise it, not to copy it: the first two and last two characters."""
        compact = re.sub(r"\s", "", self.value)
        return f"{compact[:2]}…{compact[-2:]}"


def iban_valid(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def luhn_valid(value: str) -> bool:
    digits = [int(c) for c in re.sub(r"\D", "", value)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def nir_valid(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if len(compact) != 15:
        return False
    body, key = compact[:13], int(compact[13:])
    # Corsica: 2A counts as 19, 2B as 18 (the key is computed on the number minus 1 000 000 or 2 000 000).
    number = int(body.replace("2A", "19").replace("2B", "18"))
    if "2A" in body[5:7]:
        number = int(body[:5] + "19" + body[7:]) - 1000000
    elif "2B" in body[5:7]:
        number = int(body[:5] + "18" + body[7:]) - 2000000
    return 97 - number % 97 == key


def find_personal_data(text: str) -> list[Finding]:
    """Every finding in `text`, in order, none overlapping another (IBAN and NIR before cards and phones)."""
    found: list[Finding] = []

    def add(kind: str, pattern: re.Pattern, valid=None) -> None:
        for match in pattern.finditer(text or ""):
            if valid and not valid(match.group()):
                continue
            if any(f.start < match.end() and match.start() < f.end for f in found):
                continue
            found.append(Finding(kind, match.start(), match.end(), match.group()))

    add("email", EMAIL)
    add("iban", IBAN, iban_valid)
    add("nir", NIR, nir_valid)
    add("card", CARD, luhn_valid)
    add("phone", PHONE)
    return sorted(found, key=lambda f: f.start)


def redact(text: str, kinds: Collection[str] | None = None) -> tuple[str, list[Finding]]:
    """`text` with each finding (of `kinds`, default all) replaced by [its kind], and the findings."""
    findings = [f for f in find_personal_data(text) if kinds is None or f.kind in kinds]
    for finding in reversed(findings):
        text = f"{text[:finding.start]}[{finding.label}]{text[finding.end:]}"
    return text, findings
