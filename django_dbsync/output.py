"""How a plan is shown: grouped by table, one marker per status.

Everything goes through the command's OutputWrappers and style, so --no-color,
--force-color and call_command(stdout=...) behave as in Django's own commands.
"""

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
_RISK_NOTES = {"data_loss": " [data loss]", "locking": " [rewrites table]"}


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
    def __init__(self, stdout, stderr, style, verbosity):
        self.stdout = stdout
        self.stderr = stderr
        self.style = style
        self.verbosity = verbosity
        raw = getattr(stdout, "_out", stdout)
        self.markers = _MARKERS if _can_encode(raw, "".join(_MARKERS.values()) + "·") else _ASCII_MARKERS
        self.dot = "·" if self.markers is _MARKERS else "-"

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
        return f"  {self.markers.get(status, '?')} {label}{op['summary']}{risk}"

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
            elif op["status"] == "failed":
                self.stderr.write(self.op_line(op), self.style.ERROR)

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
