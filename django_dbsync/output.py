"""How a run is shown: the plan grouped by table, one marker per status, a
status per model, data-loss warnings with counts, and a progress bar.

Everything goes through the command's OutputWrappers and style, so --no-color,
--force-color and call_command(stdout=...) behave as in Django's own commands.
"""

import contextlib
import glob
import os
import threading
import time

_MARKERS = {
    "pending": "→",
    "applied": "✔",
    "skipped": "⚠",
    "refused": "✖",
    "failed": "✖",
}
_ASCII_MARKERS = {
    "pending": "->",
    "applied": "ok",
    "skipped": "!!",
    "refused": "xx",
    "failed": "xx",
}
# The engine tags every operation safe, locking or data_loss; safe ones carry no note.
_RISK_NOTES = {"data_loss": " [data loss]", "locking": " [locking]"}

# Per-model status: (marker, ASCII marker, text).
_MODEL_MARKERS = {
    "ok": ("✅", "[ok]"),
    "skipped": ("⚠️", "[!!]"),
    "failed": ("❌", "[xx]"),
}

# A run with at least this many operations to apply gets a progress bar (on a terminal).
PROGRESS_MIN_OPS = 5
# A backup still running after this many seconds gets a progress line (on a terminal):
# a quick one would only flicker.
BACKUP_PROGRESS_AFTER_S = 0.5


def wants_color(settings, options, environ=None):
    """Whether to colour output: --force-color wins; then --no-color, NO_COLOR
    (https://no-color.org: any non-empty value) and COLORED_OUTPUT = False turn it off.
    Django itself decides whether the stream is a terminal."""
    if options.get("force_color"):
        return True
    environ = os.environ if environ is None else environ
    if options.get("no_color") or environ.get("NO_COLOR"):
        return False
    return bool(settings["COLORED_OUTPUT"])


def thousands(n):
    return f"{n:,}"


def estimate_text(n, *, of_table=True):
    """'~1,200 rows (estimate)': a number the catalog keeps, never a count."""
    text = f"~{thousands(n)} {'row' if n == 1 else 'rows'} (estimate)"
    return text if of_table else f"up to {text[:-1]} of the table's rows)"


def unprobed_text(op, where="--check"):
    """A check reads no table, so it did not count the rows this operation was
    planned on (the engine's `unprobed`); the apply does, first."""
    return f" (not probed in {where}: apply checks first)" if op.get("unprobed") else ""


def data_loss_text(op):
    """'drops column `x` of `t`, which holds 1,204 non-null values' and the like,
    from the count the engine made at plan time; None when it did not count.
    A read-only check plans with the catalog's estimates, and says so."""
    n = op.get("affected")
    if n is None or op.get("risk") != "data_loss":
        return None
    kind, table, obj = op["kind"], op["table"], op.get("object")
    if op.get("affected_estimated"):
        if kind == "drop_table":
            return f"drops table `{table}` with {estimate_text(n)}"
        return f"{op['summary']}: {estimate_text(n, of_table=False)}"
    values = "non-null value" if n == 1 else "non-null values"
    if kind == "drop_table":
        return f"drops table `{table}` with {thousands(n)} {'row' if n == 1 else 'rows'}"
    if kind == "drop_column":
        return f"drops column `{obj}` of `{table}`, which holds {thousands(n)} {values}"
    if kind == "alter_column":
        return f"replaces the values of column `{obj}` of `{table}`: {thousands(n)} {values}"
    if kind == "rebuild_table":
        return f"rebuilds table `{table}` and drops columns holding {thousands(n)} {values}"
    return f"{op['summary']}: {thousands(n)} {'row or value' if n == 1 else 'rows or values'}"


def unmanaged_text(item):
    """One line for an unmanaged object: "keeps index `fulltext_body` of `t`: FULLTEXT (body)"."""
    name = item["object"] or item["table"]
    where = f" of `{item['table']}`" if item["object"] else ""
    what = f": {item['detail']}" if item["detail"] else ""
    verb = "drops" if item["dropped"] else "keeps"
    return f"{verb} {item['kind'].replace('_', ' ')} `{name}`{where}{what}"


def _can_encode(stream, text):
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def count_statuses(ops):
    counts = {"pending": 0, "applied": 0, "skipped": 0, "refused": 0, "failed": 0}
    for op in ops:
        counts[op["status"]] = counts.get(op["status"], 0) + 1
    return counts


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Printer:
    def __init__(self, stdout, stderr, style, verbosity, show_progress=True):
        self.stdout = stdout
        self.show_progress = show_progress  # SHOW_PROGRESS: False draws no progress line
        self.stderr = stderr
        self.style = style
        self.verbosity = verbosity
        raw = getattr(stdout, "_out", stdout)
        self.markers = _MARKERS if _can_encode(raw, "".join(_MARKERS.values()) + "·") else _ASCII_MARKERS
        self.dot = "·" if self.markers is _MARKERS else "-"
        emoji = _can_encode(raw, "".join(m[0] for m in _MODEL_MARKERS.values()))
        self.model_markers = {k: v[0] if emoji else v[1] for k, v in _MODEL_MARKERS.items()}

    def info(self, text, style=None):
        if self.verbosity >= 1:
            self.stdout.write(text, style)

    def detail(self, text, style=None):
        if self.verbosity >= 2:
            self.stdout.write(text, style)

    def warning(self, text):
        self.stderr.write(text, self.style.WARNING)

    def _status_style(self, status):
        return {
            "applied": self.style.SUCCESS,
            "skipped": self.style.WARNING,
            "refused": self.style.ERROR,
            "failed": self.style.ERROR,
        }.get(status)

    def op_line(self, op):
        status = op["status"]
        label = "" if status in ("pending", "applied") else f"{status}: "
        risk = _RISK_NOTES.get(op["risk"], "")
        if op["risk"] == "data_loss" and op.get("affected_estimated") and op.get("affected") is not None:
            text = estimate_text(op["affected"], of_table=op["kind"] == "drop_table")
            risk = f" [data loss: {text}]"
        elif op["risk"] == "data_loss" and op.get("affected") is not None:
            n = op["affected"]
            unit = ("row" if n == 1 else "rows") if op["kind"] == "drop_table" else \
                ("non-null value" if n == 1 else "non-null values")
            risk = f" [data loss: {thousands(n)} {unit}]"
        return f"  {self.markers.get(status, '?')} {label}{op['summary']}{risk}{unprobed_text(op)}"

    def _write_op(self, op, show_sql):
        status = op["status"]
        self.stdout.write(self.op_line(op), self._status_style(status))
        if op.get("detail"):
            for line in op["detail"].splitlines():
                self.stdout.write(f"      {line}")
        if op.get("reason") and status in ("skipped", "refused", "failed"):
            self.stdout.write(f"      reason: {op['reason']}", self._status_style(status))
        # A skipped op always shows the SQL it would run: the user decides with it.
        if show_sql or status == "skipped":
            for stmt in op["sql"]:
                self.stdout.write(f"      {stmt};", self.style.SQL_KEYWORD)

    def plan(self, ops):
        """The plan grouped by table, in plan order of each table's first operation."""
        if self.verbosity < 1:
            # Only problems at verbosity 0, and on stderr.
            for op in ops:
                if op["status"] in ("refused", "failed"):
                    self.stderr.write(self.op_line(op) + (f" ({op['reason']})" if op.get("reason") else ""),
                                      self.style.ERROR)
            return
        groups = {}
        for op in ops:
            groups.setdefault(op["table"] or "", []).append(op)
        for table, table_ops in groups.items():
            self.stdout.write(f"Table {table}:" if table else "Database:", self.style.MIGRATE_LABEL)
            for op in table_ops:
                self._write_op(op, show_sql=self.verbosity >= 2)

    def applied(self, ops):
        if self.verbosity < 1:
            return
        for op in ops:
            if op["status"] == "applied":
                self.stdout.write(self.op_line(op), self.style.SUCCESS)
                if self.verbosity >= 3:
                    self._write_timed_sql(op)
            elif op["status"] == "failed":
                self.stderr.write(self.op_line(op), self.style.ERROR)

    def failed_operations(self, ops):
        """At the end of a run (backups/retries part): each failed operation with its
        kind, table, attempts and last database error, on stderr, even at verbosity 0."""
        failed = [op for op in ops if op["status"] == "failed"]
        if not failed:
            return
        self.stderr.write(f"Failed {plural(len(failed), 'operation')}:", self.style.ERROR)
        for op in failed:
            attempts = op.get("attempts") or 0
            code = op.get("error_sqlstate") or (str(op["error_native"]) if op.get("error_native") else "")
            self.stderr.write(
                f"  {self.markers.get('failed', 'x')} {op['kind']} on {op['table'] or '-'}: "
                f"{plural(attempts, 'attempt')}, last error{f' [{code}]' if code else ''}: "
                f"{op.get('error') or 'unknown'}", self.style.ERROR)

    def _write_timed_sql(self, op):
        """-v 3: every statement that ran, then the operation's wall time."""
        for stmt in op["sql"]:
            self.stdout.write(f"      {stmt};", self.style.SQL_KEYWORD)
        attempts = op.get("attempts") or 0
        tries = f", {attempts} attempts" if attempts > 1 else ""
        self.stdout.write(f"      -- {op.get('elapsed_ms') or 0:.1f} ms{tries}")

    def unmanaged(self, items):
        """What no model could declare: kept (listed) or, with DROP_UNMANAGED, dropped."""
        if not items or self.verbosity < 1:
            return
        self.stdout.write("Unmanaged (no model could declare these; docs/unmanaged.md):",
                          self.style.MIGRATE_LABEL)
        for item in items:
            self.stdout.write("  " + unmanaged_text(item),
                              self.style.WARNING if item["dropped"] else None)

    def unhandled(self, items):
        """Statements of the models' DDL the engine does not handle, as the CLI
        lists them: (kind, name, line), line in the DDL -v 3 prints."""
        if not items:
            return
        # shown even at -v 0 (on stderr there): a run must never look in sync
        # while part of the DDL was not looked at
        write = self.stdout.write if self.verbosity >= 1 else self.stderr.write
        write("Not handled (dbsync neither creates nor compares these):", self.style.WARNING)
        for kind, name, line in items:
            write(f"  line {line}: {kind}{' ' if name else ''}{name}", self.style.WARNING)

    def data_loss_warnings(self, ops):
        """Before asking: what each pending data-loss operation destroys, with its count."""
        pending = [op for op in ops if op["status"] == "pending" and op["risk"] == "data_loss"]
        if not pending or self.verbosity < 1:
            return
        self.stdout.write("Data loss:", self.style.WARNING)
        for op in pending:
            text = data_loss_text(op) or f"{op['summary']} (not counted)"
            self.stdout.write(f"  {self.markers['skipped']} {text}", self.style.WARNING)
            if op["kind"] == "rebuild_table" and op.get("detail"):
                for line in op["detail"].splitlines():
                    if line.startswith("drop column "):
                        self.stdout.write(f"      {line}", self.style.WARNING)

    def model_statuses(self, ops, models, mode, table_key):
        """One line per selected model: in sync or synced, skipped, failed.

        `models` maps each table to the label shown for it (an auto-created
        many-to-many table maps to its model); `mode` is apply, dry_run or check;
        `table_key` is the engine's Connection.table_key: an operation's table
        is a model's when the server takes the two names for one table.
        """
        if self.verbosity < 1 or not models:
            return
        by_label = {}
        for table, label in models.items():
            by_label.setdefault(label, set()).add(table)
        ops_of = {}
        # a live table may differ from db_table in letter case only (a case fix
        # renames it: the model's name is then the operation's object)
        by_key = {table_key(table): label for table, label in models.items()}
        for op in ops:
            table = op["table"] or ""
            label = models.get(table, by_key.get(table_key(table)))
            if label is None and op["kind"] == "rename_table" and op["object"]:
                label = by_key.get(table_key(op["object"]))
            if label is not None:
                ops_of.setdefault(label, []).append(op)
        self.stdout.write("Models:", self.style.MIGRATE_HEADING)
        for label in sorted(by_label):
            state, text = self._model_state(ops_of.get(label, []), mode)
            style = {"ok": self.style.SUCCESS, "skipped": self.style.WARNING, "failed": self.style.ERROR}[state]
            self.stdout.write(f"  {self.model_markers[state]} {label}: {text}", style)

    @staticmethod
    def _model_state(ops, mode):
        counts = count_statuses(ops)
        if counts["failed"] or counts["refused"]:
            parts = [f"{counts[k]} {k}" for k in ("failed", "refused") if counts[k]]
            return "failed", ", ".join(parts)
        if counts["skipped"]:
            return "skipped", f"{plural(counts['skipped'], 'change')} skipped"
        if counts["pending"]:
            if mode == "apply":
                return "skipped", f"{plural(counts['pending'], 'change')} not applied"
            return "skipped", f"{plural(counts['pending'], 'change')} pending"
        if counts["applied"]:
            return "ok", f"synced ({plural(counts['applied'], 'change')} applied)"
        return "ok", "in sync"

    @contextlib.contextmanager
    def progress(self, plan):
        """Keyword arguments for Connection.apply: a progress bar on a terminal
        when the run has many operations; nothing when output is not a terminal."""
        total = plan.pending_count
        if (not self.show_progress or self.verbosity < 1 or total < PROGRESS_MIN_OPS
                or not self.stdout.isatty()):
            yield {}
            return
        bar = _ProgressBar(self.stdout)
        try:
            yield {"progress": bar.update}
        finally:
            bar.close()

    @contextlib.contextmanager
    def fleet_progress(self, total, shown=str):
        """Keyword arguments for Fleet.apply: a progress bar over the fleet's
        members on a terminal, naming (as `shown` prints a name) the member
        that last started or ended."""
        if not self.show_progress or self.verbosity < 1 or total < 2 or not self.stdout.isatty():
            yield {}
            return
        bar = _ProgressBar(self.stdout)
        try:
            yield {"progress": lambda done, total, member, finished: bar.update(
                done, total, {"summary": shown(member)}, finished)}
        finally:
            bar.close()

    @contextlib.contextmanager
    def backup_progress(self, path):
        """Around Connection.backup(path), which runs without the GIL: on a terminal,
        once the backup has taken a moment, a line redrawn in place with the bytes
        written so far and the time taken. Nothing when output is not a terminal."""
        if not self.show_progress or self.verbosity < 1 or not self.stdout.isatty():
            yield
            return
        ticker = _BackupTicker(self.stdout, path)
        thread = threading.Thread(target=ticker.run, name="dbsync-backup-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            ticker.stop.set()
            thread.join()

    def summary(self, counts, *, applied=False):
        """One line: what ran (or would run), what was skipped, what was refused."""
        if applied:
            line = f"Done: {counts['applied']} applied, "
        else:
            line = f"Plan: {counts['pending']} pending, "
        line += f"{counts['skipped']} skipped, {counts['refused']} refused."
        if counts["refused"]:
            style = self.style.ERROR
        elif counts["skipped"]:
            style = self.style.WARNING
        else:
            style = self.style.SUCCESS
        self.info(line, style)

    def refused_note(self, counts):
        if counts["refused"] and self.verbosity >= 1:
            self.stderr.write(
                f"{plural(counts['refused'], 'change')} refused to protect data: "
                f"see the reasons above.", self.style.ERROR)


class _ProgressBar:
    """One line redrawn in place: [#####-----] 12/40 add column `x` to `t`."""

    WIDTH = 30

    def __init__(self, stdout):
        self.stdout = stdout
        self.last = 0.0
        self.shown = False

    def update(self, done, total, op, finished):
        now = time.monotonic()
        # redraw at most ~20 times a second, but always the last step
        if done < total and now - self.last < 0.05:
            return None
        self.last = now
        n = done  # operations finished so far: the engine counts the current one once it is done
        filled = self.WIDTH * n // max(total, 1)
        summary = (op or {}).get("summary") or ""
        line = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {n}/{total} {summary}"[:120]
        self.stdout.write("\r\x1b[2K" + line, ending="")
        self.stdout.flush()
        self.shown = True
        return None

    def close(self):
        if self.shown:
            self.stdout.write("\r\x1b[2K", ending="")
            self.stdout.flush()


class _BackupTicker:
    """A backup's size is not known before it is written, so the bar is a block
    moving back and forth: [---###------] backing up: 12.4 MB, 3.2 s."""

    WIDTH = 30
    BLOCK = 6

    def __init__(self, stdout, path):
        self.stdout = stdout
        # the engine writes <path>.partial-XXXXXX and links it to <path> when complete
        self.pattern = glob.escape(os.fspath(path)) + ".partial-*"
        self.stop = threading.Event()

    def _written(self):
        total = 0
        for name in glob.glob(self.pattern):
            try:
                total += os.path.getsize(name)
            except OSError:  # renamed or removed meanwhile
                pass
        return total

    def run(self):
        start = time.monotonic()
        if self.stop.wait(BACKUP_PROGRESS_AFTER_S):
            return
        step, shown = 0, False
        span = self.WIDTH - self.BLOCK
        while not self.stop.is_set():
            at = step % (2 * span)
            at = at if at <= span else 2 * span - at
            bar = "-" * at + "#" * self.BLOCK + "-" * (span - at)
            size = self._written() / 1e6
            self.stdout.write(f"\r\x1b[2K[{bar}] backing up: {size:.1f} MB, "
                              f"{time.monotonic() - start:.1f} s", ending="")
            self.stdout.flush()
            shown = True
            step += 1
            self.stop.wait(0.1)
        if shown:
            self.stdout.write("\r\x1b[2K", ending="")
            self.stdout.flush()
