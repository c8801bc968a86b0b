"""Run several management commands in one process and print their results as
JSON: for tests/e2e/test_readonly_user.py, which starts this as another OS
user or with another database account (one interpreter start per account,
not one per command).

stdin: a JSON list of argv lists, e.g. [["dbsync", "--dry-run"], ["dbcheck"]].
stdout: a JSON list of {"argv", "code", "out", "err"}, code as manage.py would
exit (SystemExit's code, 1 for a CommandError, "crash" and the traceback for
anything else). Settings: testproject.settings, with the DBSYNC_E2E_*
environment variables it reads.
"""
import io
import json
import os
import sys
import traceback


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    import django
    from django.core.management import CommandError, call_command
    from django.db import connections

    django.setup()
    results = []
    for argv in json.load(sys.stdin):
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            call_command(*argv, stdout=out, stderr=err)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except CommandError as exc:
            code = 1
            err.write("CommandError: %s\n" % exc)
        except Exception:  # reported to the test, which fails on it
            code = "crash"
            err.write(traceback.format_exc())
        finally:
            for conn in connections.all():
                conn.close()
        results.append({"argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue()})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
