"""Backups before a run that changes the database (--backup, BACKUP_BEFORE_SYNC),
on SQLite, PostgreSQL and MariaDB: the backup is restored into an empty database
and every row compared with the original; a failing backup stops the run before
any change; passwords reach pg_dump through its environment and never show up
in output or in the backup file.
"""
import json
import os
import re
import stat
import sys

import pytest
from django.test import override_settings

import e2e_support as s

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = re.compile(r"^default-\d{8}-\d{6}(-\d+)?\.(sqlite3|sql)$")


def qi(db, name):
    return "`%s`" % name if s.is_my(db) else '"%s"' % name


def _drift(db):
    """Something to change: a whole table gone (dbsync creates it again) and a
    nullable column gone (dbsync adds it back, empty)."""
    s.execute(db, "DROP TABLE %s" % qi(db, "catalog_productdetail"),
              "ALTER TABLE %s DROP COLUMN %s" % (qi(db, "catalog_supplier"), qi(db, "website")))


def _settings(tmp_path, **extra):
    d = {"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(tmp_path / "backups")}
    d.update(extra)
    return d


def _written(result):
    m = re.search(r"Backup written: (\S+)", result.out)
    assert m, result.text
    return m.group(1)


def _empty_like(db, tmp_path, request):
    """A new, empty database on the same server (or a new SQLite file)."""
    if s.is_pg(db):
        other = db.server.new_database(prefix="e2e_restore")
    elif s.is_my(db):
        other = db.server.new_database(prefix="e2e_restore")
    else:
        return tmp_path / "restored.sqlite3"
    request.addfinalizer(other.drop)
    return other


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
@pytest.mark.parametrize("method", ["auto", "engine"])
def test_backup_restores_into_an_empty_database_with_every_row(db_filled, tmp_path, request, backend, method):
    _drift(db_filled)
    before = s.snapshot_rows(db_filled)
    tables_before = s.user_tables(db_filled)
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path, BACKUP_METHOD=method)):
        r = s.dbsync("--auto-approve")
    assert r.code == 0, r.text
    path = _written(r)
    # pg_dump / mysqldump are installed here: 'auto' uses them
    how = {"sqlite": "online backup"}.get(backend) or (
        "engine dump" if method == "engine" else {"postgresql": "pg_dump", "mysql": "mysqldump"}[backend])
    assert "(%s)" % how in r.out
    # BACKUP_DIR, the alias and a timestamp in the name, private to its owner
    assert os.path.dirname(path) == str(tmp_path / "backups")
    assert NAME.match(os.path.basename(path)), path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert r.out.index("Backup written") < r.out.index("Applied:")
    # the run did change the database after the backup
    assert "catalog_productdetail" in s.user_tables(db_filled)

    target = _empty_like(db_filled, tmp_path, request)
    with s.engine_connect(target) as conn:
        conn.restore(path)
    # the backup holds the database as it was before the run: every row of it
    assert s.user_tables(target) == tables_before
    after = s.snapshot_rows(target)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    assert sum(len(rows) for _, rows in before.values()) > 20


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_backup_flag_and_setting(db_filled, tmp_path):
    _drift(db_filled)
    backups = tmp_path / "backups"
    # no changes to make, or only looking: no backup even when asked
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path)):
        for args in (("--dry-run",), ("--check",)):
            r = s.dbsync(*args)
            assert "Backup written" not in r.text, r.text
    assert not backups.exists() or not os.listdir(backups)
    # off by setting, on by flag
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path, BACKUP_BEFORE_SYNC=False)):
        r = s.dbsync("--auto-approve", "--backup")
        assert r.code == 0, r.text
        assert len(os.listdir(backups)) == 1
        # now in sync: nothing to change, nothing backed up
        r = s.dbsync("--auto-approve", "--backup")
        assert r.code == 0, r.text
        assert "Backup written" not in r.text
        assert len(os.listdir(backups)) == 1


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_failing_backup_stops_the_run_before_any_change(db_filled, tmp_path):
    _drift(db_filled)
    frozen = (s.schema_rows(db_filled), s.snapshot_rows(db_filled))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the backup directory should be")
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path, BACKUP_DIR=str(blocker / "backups"))):
        r = s.dbsync("--auto-approve")
    assert r.code == 2, r.text
    assert "backup" in str(r.error) and "nothing was changed" in str(r.error)
    assert (s.schema_rows(db_filled), s.snapshot_rows(db_filled)) == frozen


FAKE_TOOL = """#!/bin/sh
echo "ARGV: $*"
echo "ENV-PGPASSWORD: ${PGPASSWORD:-}"
echo "tool stderr says ${PGPASSWORD:-nothing}" >&2
exit ${FAKE_EXIT:-0}
"""


def _fake_tools(tmp_path, monkeypatch, exit_code):
    fake = tmp_path / "fakebin"
    fake.mkdir()
    for name in ("pg_dump", "mysqldump", "mariadb-dump"):
        p = fake / name
        p.write_text(FAKE_TOOL)
        p.chmod(0o700)
    monkeypatch.setenv("PATH", "%s:%s" % (fake, os.environ.get("PATH", "")))
    monkeypatch.setenv("FAKE_EXIT", str(exit_code))


def _password_db(pg_filled):
    """'default' as the role that can only log in with its password."""
    from conftest import use_database
    from e2e_pg import PW_ROLE

    pg_filled.execute("GRANT ALL ON SCHEMA public TO %s" % PW_ROLE,
                      "GRANT ALL ON ALL TABLES IN SCHEMA public TO %s" % PW_ROLE,
                      "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %s" % PW_ROLE)
    use_database("default", pg_filled.settings_dict(user=PW_ROLE, password=pg_filled.server.password))
    return pg_filled.server.password


def test_pg_tool_gets_the_password_by_environment_never_argv(pg_filled, tmp_path, monkeypatch):
    _drift(pg_filled)
    password = _password_db(pg_filled)
    _fake_tools(tmp_path, monkeypatch, 0)
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path)):
        r = s.dbsync("--auto-approve", "--dry-run")
        assert "Backup written" not in r.text
        # the fake tool writes what it was given into the backup file
        r = s.dbsync("--auto-approve", "-v", "3")
    assert password not in r.text
    path = _written(r)
    text = open(path).read()
    argv = next(line for line in text.splitlines() if line.startswith("ARGV: "))
    assert password not in argv and "--no-password" in argv
    assert "ENV-PGPASSWORD: %s" % password in text


def test_pg_failing_tool_masks_the_password_and_changes_nothing(pg_filled, tmp_path, monkeypatch):
    _drift(pg_filled)
    frozen = pg_filled.schema_rows()
    password = _password_db(pg_filled)
    _fake_tools(tmp_path, monkeypatch, 3)
    with override_settings(DJANGO_DBSYNC=_settings(tmp_path)):
        r = s.dbsync("--auto-approve")
    assert r.code == 2, r.text
    assert "tool stderr says ********" in str(r.error)
    assert password not in r.text and password not in str(r.error)
    assert pg_filled.schema_rows() == frozen
    # no partial file is left behind
    assert not [f for f in os.listdir(tmp_path / "backups")]


FAKE_MYSQLDUMP = """#!/bin/sh
echo "ARGV: $*"
for a in "$@"; do
  case "$a" in --defaults-extra-file=*) f="${a#--defaults-extra-file=}";
    echo "OPTFILE-MODE: $(stat -L -c %a "$f")"; sed 's/^/OPTFILE: /' "$f";; esac
done
echo "ENV-MYSQL_PWD: ${MYSQL_PWD:-}"
"""


def test_my_tool_gets_the_password_by_option_file_never_argv(my_filled, tmp_path, monkeypatch):
    """manage.py dbsync on MariaDB as a user with a password: mysqldump gets it in a
    private option file, not on its command line nor in MYSQL_PWD, and no output
    shows it."""
    from conftest import use_database

    _drift(my_filled)
    password = "b4ckup-Secret-93e1"
    my_filled.execute("CREATE USER IF NOT EXISTS 'dbsync_backup'@'localhost' IDENTIFIED BY '%s'" % password,
                      "GRANT ALL ON *.* TO 'dbsync_backup'@'localhost'")
    settings = my_filled.settings_dict()
    settings.update(USER="dbsync_backup", PASSWORD=password)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    for name in ("mysqldump", "mariadb-dump"):
        (fake / name).write_text(FAKE_MYSQLDUMP)
        (fake / name).chmod(0o700)
    monkeypatch.setenv("PATH", "%s:%s" % (fake, os.environ.get("PATH", "")))
    previous = use_database("default", settings)
    try:
        with override_settings(DJANGO_DBSYNC=_settings(tmp_path)):
            r = s.dbsync("--auto-approve", "-v", "3")
    finally:
        use_database("default", previous)
    assert r.code == 0, r.text
    assert password not in r.text
    text = open(_written(r)).read()
    argv = next(line for line in text.splitlines() if line.startswith("ARGV: "))
    assert password not in argv and "--defaults-extra-file=" in argv
    assert "ENV-MYSQL_PWD: " in text.splitlines() and "OPTFILE-MODE: 600" in text
    assert 'OPTFILE: password="%s"' % password in text
    # the option file exists only in memory, as the tool's inherited fd 3
    assert argv.split("--defaults-extra-file=", 1)[1].split()[0] == "/dev/fd/3"


SLOW_MYSQLDUMP = """#!/bin/sh
for a in "$@"; do
  case "$a" in --defaults-extra-file=*) f="${a#--defaults-extra-file=}";
    grep -c password= "$f" > "$DBSYNC_TEST_MARK.tmp"; mv "$DBSYNC_TEST_MARK.tmp" "$DBSYNC_TEST_MARK";; esac
done
echo "-- a dump that never ends"
exec sleep 600
"""


def _files_holding(root, secret):
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    if secret.encode() in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_my_sigkilled_backup_leaves_no_credential_on_disk(my_filled, tmp_path):
    """manage.py dbsync --backup killed with SIGKILL while mysqldump runs: no file
    under TMPDIR or BACKUP_DIR holds the password (the tool's option file lives
    only in memory)."""
    import signal
    import subprocess
    import time

    _drift(my_filled)
    password = "k1lled-Secret-5d2a"
    my_filled.execute("CREATE USER IF NOT EXISTS 'dbsync_killed'@'localhost' IDENTIFIED BY '%s'" % password,
                      "GRANT ALL ON *.* TO 'dbsync_killed'@'localhost'")
    settings = {k: v for k, v in my_filled.settings_dict().items() if k != "ENGINE"}
    settings.update(USER="dbsync_killed", PASSWORD=password)
    fake, tmpdir, backups = tmp_path / "fakebin", tmp_path / "tmp", tmp_path / "backups"
    for d in (fake, tmpdir, backups):
        d.mkdir()
    for name in ("mysqldump", "mariadb-dump"):
        (fake / name).write_text(SLOW_MYSQLDUMP)
        (fake / name).chmod(0o700)
    mark = tmp_path / "dump-started"
    env = dict(os.environ, DBSYNC_E2E_MY=json.dumps(settings), TMPDIR=str(tmpdir), DBSYNC_TEST_MARK=str(mark),
               PATH="%s:%s" % (fake, os.environ.get("PATH", "")),
               DBSYNC_E2E_SETTINGS=json.dumps(_settings(tmp_path)))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen([sys.executable, "manage.py", "dbsync", "--auto-approve", "--no-color"],
                            cwd=os.path.dirname(os.path.abspath(__file__)), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # the dump tool has read its option file: the run is in the middle of the backup
        deadline = time.monotonic() + 120
        while not mark.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mark.exists(), "the backup tool never started:\n" + (proc.stdout.read().decode()
                                                                    if proc.poll() is not None else "")
        assert mark.read_text().strip() == "1", "the tool was given the password in its option file"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert _files_holding(tmpdir, password) == []
    assert _files_holding(backups, password) == []
    assert _files_holding(tmp_path, password) == []


def test_manage_py_backup_prints_the_path(filled_db, tmp_path):
    import subprocess

    _drift(filled_db)
    env = dict(os.environ, DBSYNC_E2E_DB=str(filled_db), DBSYNC_E2E_OTHER_DB=str(filled_db) + ".other")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    backups = tmp_path / "from-manage-py"
    code = ("import sys, django; sys.argv = ['manage.py', 'dbsync', '--auto-approve', '--backup', '--no-color'];"
            "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'testproject.settings'; django.setup();"
            "from django.conf import settings; settings.DJANGO_DBSYNC = {'BACKUP_DIR': %r};"
            "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)"
            % str(backups))
    proc = subprocess.run([sys.executable, "-c", code], cwd=HERE, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = os.listdir(backups)
    assert len(files) == 1 and NAME.match(files[0])
    assert str(backups / files[0]) in proc.stdout
