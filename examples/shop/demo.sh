#!/bin/sh
# The django-dbsync demo: a shop whose SQLite database drifted from its models.
# Uses `python` from PATH (the Makefile puts the project's venv first).
set -eu
cd "$(dirname "$0")"

if [ -t 1 ]; then bold=$(printf '\033[1m'); plain=$(printf '\033[0m'); else bold=; plain=; fi
step() { printf '\n%s==> %s%s\n\n' "$bold" "$1" "$plain"; }

step "1/6  Recreate the drifted database: python make_drift.py"
python make_drift.py

step "2/6  Preview: python manage.py dbsync --dry-run   (prints the SQL, changes nothing)"
python manage.py dbsync --dry-run

step "3/6  Apply: python manage.py dbsync --auto-approve"
python manage.py dbsync --auto-approve

step "4/6  The extra column holds data, so it was only listed. Opt in to dropping it:"
printf '     SHOP_DROP_COLUMNS=1 (sets DJANGO_DBSYNC["AUTO_DROP_COLUMNS"]) python manage.py dbsync --auto-approve\n\n'
SHOP_DROP_COLUMNS=1 python manage.py dbsync --auto-approve

step "5/6  Run again: python manage.py dbsync   (nothing left to do)"
python manage.py dbsync

step "6/6  CI-style check: python manage.py dbsync --check   (exit 0 = in sync)"
python manage.py dbsync --check
echo "dbsync --check exited 0: the database matches the models."
