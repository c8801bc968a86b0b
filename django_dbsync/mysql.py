"""What the command says when applying to MySQL/MariaDB fails.

MySQL commits every DDL statement as it runs (the engine says so:
Connection.ddl_autocommits), so a failed apply is not rolled back: the
operations before the failing one stay applied, the rest never ran. The
command says exactly that, naming both, so the person knows what the
database now holds; running dbsync again plans from that state.
"""

from django_dbsync.engine import LockedError


def failure_note(ops, error=None):
    """The lines after `error`, the engine's exception of a failed apply on a
    server whose DDL autocommits (the error itself, with its number, comes from
    the engine)."""
    applied = [op for op in ops if op["status"] == "applied"]
    failed = [op for op in ops if op["status"] == "failed"]
    remaining = [op for op in ops if op["status"] == "pending"]
    lines = ["MySQL commits each DDL statement as it runs: nothing was rolled back."]
    if applied:
        lines.append(f"Applied before the failure ({_count(applied)}, kept):")
        lines += [f"  ✔ {op['summary']}" for op in applied]
    else:
        lines.append("No operation had been applied before the failure.")
    for op in failed:
        lines.append(f"Failed: {op['summary']}" + (f" (error {op['error_native']})" if op.get("error_native") else ""))
    if remaining:
        lines.append(f"Not run ({_count(remaining)}):")
        lines += [f"  · {op['summary']}" for op in remaining]
    if isinstance(error, LockedError):
        lines.append("Run dbsync again when the other run has finished: it plans from the database as it is then.")
    else:
        lines.append("Fix the cause and run dbsync again: it plans from the database as it now is.")
    return "\n".join(lines)


def _count(ops):
    return f"{len(ops)} operation{'' if len(ops) == 1 else 's'}"
