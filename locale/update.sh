#!/usr/bin/env bash
# Refresh the translation catalogs after strings change, then compile them.
#
#   locale/update.sh            # from anywhere in the repository
#
# 1. makemessages: adds new msgids to locale/{fr,en}/LC_MESSAGES/django.po, drops the ones no
#    longer in the code. A new string close to an old one may come back pre-filled and flagged
#    "#, fuzzy": check it, fix it, and remove the flag (fuzzy entries are NOT compiled).
# 2. compilemessages: rebuilds the django.mo files. They are committed, so commit them with the .po.
#
# Conventions:
#   - fr: translate every English msgid; the few French msgids (statuses, priorities, phases,
#     levels) get msgstr = msgid, so that "untranslated" below only lists real work.
#   - en: only the French msgids get an English msgstr; English msgids keep msgstr "".
#
# Needs GNU gettext (msgmerge, msgfmt, xgettext): apt-get install gettext.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export DEBUG="${DEBUG:-1}"   # settings refuse to load without SECRET_KEY unless DEBUG=1

IGNORES=(
  --ignore=.venv --ignore=var --ignore=tests --ignore=bench
  --ignore=node_modules --ignore=staticfiles --ignore=media --ignore=test-artifacts
)

"$PYTHON" manage.py makemessages -l fr -l en "${IGNORES[@]}" --no-obsolete
"$PYTHON" manage.py compilemessages "${IGNORES[@]}"

# What is left to do: untranslated/fuzzy counts (for en, the English msgids are expected to be untranslated).
for lang in fr en; do
  po="locale/$lang/LC_MESSAGES/django.po"
  printf '%s: ' "$po"
  msgfmt --statistics -o /dev/null "$po" 2>&1
done
echo "fr, untranslated or fuzzy:"
msgattrib --untranslated --no-wrap --no-location locale/fr/LC_MESSAGES/django.po | grep '^msgid "[^"]' || true
msgattrib --only-fuzzy --no-wrap --no-location locale/fr/LC_MESSAGES/django.po | grep '^msgid "[^"]' || true
