"""One Django start-up per backend for the corpus' manage.py steps.

Starting Django with the corpus' 74 apps costs seconds of CPU, and a test
runs manage.py up to seven times. This worker starts Django once (settings
of one backend: the installed apps depend on it) and forks a child for each
command, which points the `default` database at the test's own and runs the
command as manage.py would; the parent never opens a connection, so each
child starts as clean as a new process, minus the imports.

Protocol, one JSON object a line: the request on stdin
    {"db": <DATABASES entry>, "args": ["dbsync", "--check", ...]}
and the answer on stdout
    {"rc": <exit status>, "stdout": "...", "stderr": "..."}
The child's output goes to files, never to the worker's own stdout.
"""
import json
import os
import sys
import tempfile
import traceback

COMMANDS = ("migrate", "dbsync", "dbcheck", "corpus_smoke", "corpus_reference")


def start():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corpusproject.settings")
    import django

    django.setup()
    from django.core.management import get_commands, load_command_class

    # the commands' own imports (dbsync's engine binding, migrate's loader) too
    commands = get_commands()
    for name in COMMANDS:
        load_command_class(commands[name], name)


def point_default_at(db):
    """Make `default` the test's database, before anything connects."""
    from django.conf import settings
    from django.db import connections
    from asgiref.local import Local

    settings.DATABASES["default"] = db
    connections._settings = None
    connections.__dict__.pop("settings", None)  # a cached_property, read again
    connections._connections = Local(connections.thread_critical)
    os.environ["DBSYNC_CORPUS_DB"] = json.dumps(db)


def child(request, out, err):
    """Runs in the forked child; never returns."""
    rc = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        point_default_at(request["db"])
        from django.core.management import ManagementUtility

        try:
            ManagementUtility(["manage.py", *request["args"]]).execute()
            rc = 0
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        rc = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc)


def serve():
    answers = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            from django.db import connections

            connections.close_all()  # nothing open may be shared with the child
            answers.flush()
            pid = os.fork()
            if pid == 0:
                child(request, out, err)
            _, status = os.waitpid(pid, 0)
            texts = []
            for f in (out, err):
                f.seek(0)
                texts.append(f.read().decode(errors="replace"))
        answers.write(json.dumps({"rc": os.waitstatus_to_exitcode(status), "stdout": texts[0],
                                  "stderr": texts[1]}) + "\n")
        answers.flush()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    start()
    serve()
