"""Table renames on the Django side: settings to plan options, prompts, suggestions.

The engine decides what is a case fix, a name conflict or an old-name rename
and writes the SQL (plan ops of kind "rename_table": `table` is the live name,
`object` the model's). This module only asks the user about the renames the
settings leave to them and prints the engine's SQL for people to run.
"""

from django.core.management.base import CommandError

RENAME = "rename_table"


def plan_options(settings, approved=()):
    """The plan keywords of the rename settings."""
    return {
        "auto_fix_table_case": settings["AUTO_FIX_TABLE_CASE"],
        "auto_rename_tables": settings["AUTO_RENAME_TABLES"],
        "approved_renames": list(approved),
    }


def rename_ops(ops):
    return [op for op in ops if op["kind"] == RENAME]


def case_mismatches(ops):
    """Case fixes the engine planned (pending or skipped); conflicts excluded.
    The engine marks a rename between spellings of one name (`case_fix`)."""
    return [op for op in rename_ops(ops) if op["status"] != "refused" and op["case_fix"]]


def name_conflicts(ops):
    """Renames the engine refused: two live spellings of one model's table."""
    return [op for op in rename_ops(ops) if op["status"] == "refused"]


def old_name_renames(ops):
    return [op for op in rename_ops(ops) if op["status"] != "refused" and not op["case_fix"]]


def to_ask(ops):
    """Case fixes skipped because AUTO_FIX_TABLE_CASE is off: the user decides each."""
    return [op for op in case_mismatches(ops) if op["status"] == "skipped"]


def suggestions(ops):
    """Renames a person has to run (or approve): skipped ones, and refused conflicts."""
    return [op for op in rename_ops(ops) if op["status"] in ("skipped", "refused")]


def ask(ops, alias, *, stdout, is_tty, read=None):
    """Ask about each skipped case fix; the live names the user approved.

    Without a terminal nothing can be asked: a CommandError says which renames
    wait and how to proceed.
    """
    pending = to_ask(ops)
    if not pending:
        return []
    read = read or input
    if not is_tty():
        names = ", ".join(f"`{op['table']}` -> `{op['object']}`" for op in pending)
        raise CommandError(
            f"AUTO_FIX_TABLE_CASE is off and stdin is not a terminal, so the table renames "
            f"{names} cannot be confirmed on '{alias}': run them yourself "
            f"(manage.py dbsync --suggest-manual-commands prints the SQL), set "
            f"AUTO_FIX_TABLE_CASE = True, or re-run with --auto-approve to sync without them")
    approved = []
    for op in pending:
        stdout.write(f"Rename table `{op['table']}` to `{op['object']}` (the model's letter case) "
                     f"on '{alias}'? [y/N] ", ending="")
        stdout.flush()
        try:
            answer = read()
        except EOFError:
            answer = ""
        if answer.strip().lower() in ("y", "yes"):
            approved.append(op["table"])
    return approved


def resolve(plan, replan, alias, *, interactive, stdout, is_tty):
    """The plan to run: when the command may ask, the user's answers about the
    skipped case fixes, and a new plan (replan(approved)) if any was approved."""
    if not interactive:
        return plan
    approved = ask(plan.ops, alias, stdout=stdout, is_tty=is_tty)
    return replan(approved) if approved else plan


def write_suggestions(ops, vendor, alias, stdout, style, *, empty_note=True):
    """The exact SQL of every rename that waits for a person, with how to run it."""
    todo = suggestions(ops)
    if not todo:
        if empty_note:
            stdout.write("No table renames to suggest.")
        return 0
    stdout.write(f"Manual table renames for '{alias}' ({vendor}):", style.MIGRATE_HEADING)
    for op in todo:
        if op["status"] == "refused":
            stdout.write(f"  -- not renamed: {op['reason']}", style.ERROR)
            continue
        stdout.write(f"  -- {op['summary']}")
        if op.get("reason"):
            stdout.write(f"  -- {op['reason']}")
        for stmt in op["sql"]:
            stdout.write(f"  {stmt};", style.SQL_KEYWORD)
    stdout.write(
        "Run these statements in a SQL shell on that database (they keep the rows), "
        "then run dbsync again; or approve them: AUTO_FIX_TABLE_CASE = True for case fixes, "
        "AUTO_RENAME_TABLES = True for old names. Refused renames need a decision of yours: "
        "keep one spelling and rename or drop the others.")
    return len(todo)
