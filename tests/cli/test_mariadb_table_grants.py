"""A MariaDB user whose grants are table-level only: MariaDB hides CHECK
constraints from it, so the
engine must not read that silence as "no checks" and plan to add them again.
It refuses, naming the table and the grant to add; with SELECT on the whole
database the same plan finds no changes. Against a real throwaway MariaDB.
"""
import pytest

from test_nothing_outside_the_plan import my, my_server, my_state, run  # noqa: F401 (fixture)

PASSWORD = "tg-pw-5e1f"
DDL = """\
CREATE TABLE `t` (`id` int NOT NULL PRIMARY KEY, `a` int NULL, CONSTRAINT `a_pos` CHECK (`a` > 0));
CREATE TABLE `u` (`id` int NOT NULL PRIMARY KEY, `b` int NULL CHECK (`b` < 5));
CREATE TABLE `v` (`id` int NOT NULL PRIMARY KEY, `t_id` int NULL,
    CONSTRAINT `v_fk` FOREIGN KEY (`t_id`) REFERENCES `t` (`id`));
"""


@pytest.fixture
def table_grants(my_server, tmp_path):
    """A database with checks and a foreign key, and a user with SELECT on
    each table only (plus the scratch databases docs/readonly.md asks for)."""
    name = "grants_db"
    my(my_server, "CREATE DATABASE %s" % name)
    for stmt in DDL.split(";\n")[:-1]:
        my(my_server, stmt, name)
    my(my_server, "INSERT INTO t VALUES (1, 1)", name)
    my(my_server, "CREATE USER 'tg'@'localhost' IDENTIFIED BY '%s'" % PASSWORD)
    for table in ("t", "u", "v"):
        my(my_server, "GRANT SELECT ON %s.%s TO 'tg'@'localhost'" % (name, table))
    my(my_server, "GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%`.* TO 'tg'@'localhost'")
    desired = tmp_path / "desired.sql"
    desired.write_text(DDL)
    yield name, str(desired)
    my(my_server, "DROP USER 'tg'@'localhost'")
    my(my_server, "DROP DATABASE %s" % name)


def test_table_level_grants_refuse_instead_of_planning_checks_again(my_server, table_grants):
    name, desired = table_grants
    root = "mysql://root@localhost/%s?unix_socket=%s" % (name, my_server)
    user = "mysql://tg:%s@localhost/%s?unix_socket=%s" % (PASSWORD, name, my_server)
    # the database matches: its owner sees no changes
    owner = run("plan", "--desired", desired, "--db", root)
    assert owner.returncode == 0 and "No changes" in owner.stdout, owner.stdout + owner.stderr
    before = my_state(my_server, name)
    for args in (("plan",), ("apply", "--dry-run"), ("inspect",)):
        res = run(*args, *(() if args == ("inspect",) else ("--desired", desired)), "--db", user)
        out = res.stdout + res.stderr
        assert res.returncode == 1, out
        assert "cannot read the CHECK constraints of table `t` (and 2 more)" in out, out
        assert "GRANT SELECT ON `grants_db`.*" in out, out
        assert "add check" not in out and "CHECK" not in res.stdout, out
        assert PASSWORD not in out
    assert my_state(my_server, name) == before
    # with SELECT on the whole database the same user sees what the owner sees
    my(my_server, "GRANT SELECT ON %s.* TO 'tg'@'localhost'" % name)
    res = run("plan", "--desired", desired, "--db", user)
    assert res.returncode == 0 and "No changes" in res.stdout, res.stdout + res.stderr
