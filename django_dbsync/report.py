"""Reports of a dbsync run and the per-model status lines.

The engine writes both reports: the JSON record (docs/report.schema.json) from
the plan and what only this side knows (alias, selection, times, models,
orphans and views), and the HTML page from that JSON. This module gathers the
context, picks file names and prints the paths. It never puts a password in
anything: the engine describes the connection itself, without one.
"""

import datetime
import json
import re
import sys
from pathlib import Path

from django.apps import apps
from django.core.management.base import CommandError

from . import __version__, _engine
from .engine import scrub_password

REPORT_CHOICES = ("json", "html", "both")


def report_formats(option, settings):
    """The formats to write: --report json|html|both, plus html for GENERATE_HTML_REPORT."""
    formats = set()
    if option in ("json", "both"):
        formats.add("json")
    if option in ("html", "both") or settings["GENERATE_HTML_REPORT"]:
        formats.add("html")
    return formats


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def model_labels(models):
    """Table -> model label for the selected models; an auto-created many-to-many
    table is shown under the model that declares the field."""
    labels = {}
    for model in models:
        meta = model._meta
        owner = meta.auto_created._meta.label if meta.auto_created else meta.label
        labels[meta.db_table] = owner
    return labels


def owned_tables():
    """Tables that belong to some installed model (selected or not) or to Django's
    migration history: everything else in the database is an orphan. The orphans
    part owns that rule; this is its answer."""
    try:
        from .orphans import owned_tables as orphans_owned
    except ImportError:  # pragma: no cover - the orphans part ships with this one
        orphans_owned = None
    if orphans_owned is not None:
        return orphans_owned()
    owned = {"django_migrations"}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.proxy and not meta.swapped:
            owned.add(meta.db_table)
    return sorted(owned)


class RunReport:
    """What one run of the command did, for the reports and the model statuses."""

    def __init__(self, alias, settings, options, selection, dry_run):
        self.alias = alias
        self.started = _now()
        self.formats = report_formats(options.get("report"), settings)
        self.out_dir = Path(settings["REPORT_OUTPUT_DIR"])
        self.mode = "check" if options.get("check") else "dry_run" if dry_run else "apply"
        self.exact_counts = bool(options.get("exact_counts"))
        self.selection = selection
        self.desired = None
        self.plan = None
        self.backup = None
        # fleet runs (fleet.py): the group's label, its Fleet and its members
        self.label = None
        self.fleet = None
        self.members = None

    # --- what the run ends with -------------------------------------------------

    def _outcome(self, ops, exc):
        if self.members is not None and not ops:
            return self._fleet_outcome(exc)
        counts = {k: sum(1 for op in ops if op["status"] == k)
                  for k in ("pending", "applied", "skipped", "refused", "failed")}
        if isinstance(exc, SystemExit):
            return "differs" if self.mode == "check" else "refused"
        if isinstance(exc, CommandError):
            return "failed" if counts["failed"] or not str(exc).startswith("refusing") else "refused"
        if exc is not None:
            return "failed"
        if not ops:
            return "in_sync"
        if self.mode == "dry_run":
            return "planned"
        if self.mode == "check":
            return "differs"
        if counts["applied"]:
            return "applied"
        if counts["pending"]:
            return "cancelled"
        return "differs"

    def _fleet_outcome(self, exc):
        states = {m.state for m in self.members}
        if isinstance(exc, KeyboardInterrupt) or (exc is not None and not isinstance(exc, SystemExit)):
            return "failed"
        if "failed" in states or "not_run" in states:
            return "failed"
        if states <= {"in_sync"}:
            return "in_sync"
        if self.mode == "check":
            return "differs"
        if self.mode == "dry_run":
            return "planned"
        if "refused" in states:
            return "refused"
        applied = any(op["status"] == "applied" for m in self.members if m.plan is not None for op in m.plan.ops)
        return "applied" if applied else "cancelled"

    def _selection_json(self):
        sel = self.selection
        data = {
            "include_apps": list(sel.include_apps),
            "exclude_apps": list(sel.exclude_apps) + list(sel.settings_exclude_apps),
            "exclude_app_patterns": list(sel.exclude_app_patterns) + list(sel.settings_app_patterns),
            "exclude_table_patterns": list(sel.table_patterns),
            "no_restriction": bool(sel.no_restriction),
        }
        if self.desired is not None:
            data["apps"] = sorted({m._meta.app_label for m in self.desired.models})
            data["tables"] = sorted(self.desired.tables)
        return data

    def _inventory(self, conn, out):
        if not hasattr(conn, "inventory"):
            return None
        try:
            # a check only looks: the catalog's row estimates, no table read
            rows = True if self.exact_counts or self.mode != "check" else "estimate"
            return json.loads(conn.inventory(owned_tables(), sizes=True, views=True, rows=rows))
        except (_engine.Error, ValueError) as e:
            out.warning(f"the report lists no orphaned tables or views: {scrub_password(self.alias, str(e))}")
            return None

    def context(self, conn, out, exc):
        ops = self.plan.ops if self.plan is not None else []
        ctx = {
            "tool": f"django-dbsync {__version__}",
            "mode": self.mode,
            "started_at": _iso(self.started),
            "finished_at": _iso(_now()),
            "outcome": self._outcome(ops, exc),
            "error": scrub_password(self.alias, str(exc)) if isinstance(exc, CommandError) else None,
            "backup": str(self.backup) if self.backup else None,
            "database": {"alias": self.alias},
            "selection": self._selection_json(),
            "models": model_labels(self.desired.models) if self.desired is not None else {},
        }
        inventory = self._inventory(conn, out)
        if inventory is not None:
            ctx["inventory"] = inventory
        return ctx

    # --- the end of the run --------------------------------------------------------

    def finish(self, conn, out, exc=None, model_statuses=True):
        """Print the per-model statuses and write the reports. Called once, as
        the command ends (also when it fails); returns the paths written."""
        if (model_statuses and self.plan is not None and self.desired is not None
                and not isinstance(exc, KeyboardInterrupt)):
            out.model_statuses(self.plan.ops, model_labels(self.desired.models), self.mode,
                               conn.table_key)
        if not self.formats:
            return []
        try:
            return self._write(conn, out, exc)
        except (OSError, _engine.Error) as e:
            message = f"could not write the report to {self.out_dir}: {scrub_password(self.alias, str(e))}"
            if exc is None:
                raise CommandError(message) from None
            out.warning(message)  # the run's own error matters more
            return []

    def _write(self, conn, out, exc):
        context = json.dumps(self.context(conn, out, exc))
        if self.fleet is not None:
            text = self.fleet.report_json(context)
        elif self.plan is not None:
            text = self.plan.report_json(context)
        else:
            text = _engine.report_json(context, connection=conn)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        name = _safe(self.alias) if self.label in (None, self.alias) else f"{_safe(self.alias)}-{_safe(self.label)}"
        stem = self.out_dir / f"dbsync-{name}-{self.started.strftime('%Y%m%d-%H%M%S')}"
        paths = []
        json_path = _exclusive(stem, ".json", text) if "json" in self.formats else None
        if json_path:
            paths.append(json_path)
        if "html" in self.formats:
            paths.append(_exclusive(stem, ".html", _engine.report_html(text)))
        for path in paths:
            out.info(f"Report written: {path}")
        return paths


def _safe(alias):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", alias) or "db"


def _exclusive(stem, suffix, text):
    """Write a new file (never overwrite): a second run in the same second gets -2, -3..."""
    for n in range(1, 1000):
        path = Path(f"{stem}{'' if n == 1 else f'-{n}'}{suffix}")
        try:
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(text)
            return path
        except FileExistsError:
            continue
    raise OSError(f"too many reports named {stem}*{suffix}")


def exception_now():
    """The exception being handled, for finish() from a finally block."""
    return sys.exc_info()[1]
