"""The generated models file, line by line, on SQLite, PostgreSQL and MariaDB.

test_orphans.py proves a foreign-key chain of orphans; these orphans carry
what that chain does not: a composite primary key (Django 5.2's
CompositePrimaryKey, one of its columns a foreign key), a unique foreign key
(OneToOneField), names that are not Python (digits first, keyword, space),
null/blank, a default, a type no Django field matches (flagged as guessed),
comments (PostgreSQL and MariaDB keep them) and MariaDB's ON UPDATE
CURRENT_TIMESTAMP (auto_now). The file must import, pass `manage.py check`
pasted into an app, and read every orphan's rows through the ORM.
"""
import json

import pytest
from django.test import override_settings

import e2e_support as s
from orphan_support import qi, report_dir, run_in_project, written_path

pytestmark = pytest.mark.parametrize("backend", s.ALL_BACKENDS)

# A type no Django field matches, per backend: TextField stands in, flagged.
ODD_TYPE = {"sqlite": "money", "postgresql": "point", "mysql": "enum('red','blue')"}
ODD_VALUE = {"sqlite": "'12 EUR'", "postgresql": "'(1,2)'", "mysql": "'blue'"}
ODD_READ = {"sqlite": "12 EUR", "postgresql": "(1,2)", "mysql": "blue"}


def create_tables(db):
    from django.contrib.auth.models import User

    ann = User.objects.create(username="ann")
    s.close_connections()
    b = s.backend_of(db)
    digits, kw, space = qi(db, "2nd name"), qi(db, "def"), qi(db, "home town")
    stamp = "timestamp NULL DEFAULT NULL"
    if s.is_my(db):
        stamp = "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"
    s.execute(
        db,
        f"CREATE TABLE gen_owner (id integer NOT NULL PRIMARY KEY, {digits} varchar(20) NULL, "
        f"{kw} integer NOT NULL DEFAULT 4, {space} varchar(30) NULL, colour {ODD_TYPE[b]} NULL, "
        f"touched {stamp}, made_by_id integer NULL, FOREIGN KEY (made_by_id) REFERENCES auth_user (id))",
        "CREATE TABLE gen_profile (id integer NOT NULL PRIMARY KEY, owner_id integer NOT NULL UNIQUE, "
        "bio varchar(50) NULL, FOREIGN KEY (owner_id) REFERENCES gen_owner (id))",
        "CREATE TABLE gen_membership (owner_id integer NOT NULL, slot integer NOT NULL, "
        "role varchar(10) NOT NULL DEFAULT 'member', PRIMARY KEY (owner_id, slot), "
        "FOREIGN KEY (owner_id) REFERENCES gen_owner (id))",
        f"INSERT INTO gen_owner (id, {digits}, {kw}, {space}, colour, made_by_id) VALUES "
        f"(1, 'second', 4, 'Lyon', {ODD_VALUE[b]}, {ann.pk}), (2, NULL, 5, NULL, NULL, NULL)",
        "INSERT INTO gen_profile (id, owner_id, bio) VALUES (1, 2, 'hello')",
        "INSERT INTO gen_membership (owner_id, slot, role) VALUES (1, 1, 'lead'), (1, 2, 'member'), "
        "(2, 1, 'member')",
    )
    if s.is_pg(db):
        s.execute(db, "COMMENT ON TABLE gen_owner IS 'owners kept by hand'",
                  "COMMENT ON COLUMN gen_owner.id IS 'the owner''s number'")
    elif s.is_my(db):
        s.execute(db, "ALTER TABLE gen_owner COMMENT 'owners kept by hand'",
                  "ALTER TABLE gen_owner MODIFY id integer NOT NULL COMMENT 'the owner''s number'")


def generate(db, tmp_path):
    create_tables(db)
    with override_settings(DJANGO_DBSYNC=report_dir(tmp_path)):
        run = s.dbsync("--generate-orphaned-models")
    assert run.code == 0, run.text
    path = written_path(run.out)
    assert path.parent == tmp_path / "reports"
    return path.read_text()


def model_source(source, cls):
    """The class body of one generated model."""
    body = source.split(f"\nclass {cls}(models.Model):\n", 1)[1]
    return body.split("\nclass ", 1)[0]


def field_line(source, name):
    lines = [line.strip() for line in source.splitlines() if line.strip().startswith(name + " = models.")]
    assert len(lines) == 1, (name, source)
    return lines[0]


def test_generated_file_header_and_fields(db_migrated, tmp_path, backend):
    source = generate(db_migrated, tmp_path)
    compile(source, "generated.py", "exec")
    header = source.split("from django.db import models")[0]
    assert header.startswith("# ") and "How to use this file" in header and "manage.py check" in header
    assert "managed = False" in header  # the instructions explain it

    # composite primary key: CompositePrimaryKey over field names, no stand-in
    membership = model_source(source, "GenMembership")
    assert "    pk = models.CompositePrimaryKey('owner', 'slot')\n" in membership, source
    assert field_line(membership, "owner").startswith("owner = models.ForeignKey('GenOwner', models.DO_NOTHING")
    assert "primary_key" not in membership and "unique_together" not in membership
    assert field_line(membership, "slot") == "slot = models.IntegerField()"
    assert field_line(membership, "role") == "role = models.CharField(max_length=10, default='member')"

    # a unique foreign key is a one-to-one relation
    profile = model_source(source, "GenProfile")
    assert field_line(profile, "owner") == "owner = models.OneToOneField('GenOwner', models.DO_NOTHING)"
    assert field_line(profile, "bio") == "bio = models.CharField(max_length=50, null=True, blank=True)"

    # names that are not Python: valid names, db_column keeps the real one
    assert field_line(source, "number_2nd_name").startswith(
        "number_2nd_name = models.CharField(db_column='2nd name', max_length=20, null=True, blank=True")
    assert field_line(source, "def_field").startswith(
        "def_field = models.IntegerField(db_column='def', default=4")
    assert field_line(source, "home_town").startswith(
        "home_town = models.CharField(db_column='home town', max_length=30, null=True, blank=True")

    # a type without a Django field: text, flagged
    colour = field_line(source, "colour")
    assert colour.startswith("colour = models.TextField(null=True, blank=True)"), colour
    assert "# guessed: no Django field matches the type" in colour, colour

    # every model unmanaged, with its table
    for table in ("gen_owner", "gen_profile", "gen_membership"):
        assert f"        managed = False\n        db_table = '{table}'\n" in source, source

    # a key into an installed model (of an app dbsync excludes): a ForeignKey to it
    assert field_line(source, "made_by") == (
        "made_by = models.ForeignKey('auth.User', models.DO_NOTHING, related_name='+', null=True, blank=True)")

    touched = field_line(source, "touched")
    if backend == "mysql":
        assert touched.startswith("touched = models.DateTimeField(auto_now=True"), touched
    if backend == "sqlite":
        assert "db_comment" not in source and "db_table_comment" not in source
    else:
        assert "db_table_comment = 'owners kept by hand'" in source, source
        assert "db_comment='the owner\\'s number'" in field_line(model_source(source, "GenOwner"), "id"), source


def test_generated_file_checks_and_reads_rows(db_migrated, tmp_path, backend):
    source = generate(db_migrated, tmp_path)
    out = run_in_project(tmp_path, db_migrated, source, (
        "import json\n"
        "from legacyapp.models import GenMembership, GenOwner, GenProfile\n"
        "owners = list(GenOwner.objects.order_by('id').values_list(\n"
        "    'id', 'number_2nd_name', 'def_field', 'home_town', 'colour'))\n"
        "members = sorted((m.owner_id, m.slot, m.role) for m in GenMembership.objects.all())\n"
        "lead = GenMembership.objects.get(pk=(1, 1))\n"
        "profile = GenProfile.objects.get(id=1)\n"
        "print(json.dumps({'owners': owners, 'members': members,\n"
        "                  'lead': [lead.owner.home_town, lead.role],\n"
        "                  'profile': [profile.owner.def_field, profile.bio],\n"
        "                  'reverse': GenOwner.objects.get(id=2).genprofile.bio,\n"
        "                  'made_by': GenOwner.objects.get(id=1).made_by.username}))\n"))
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {
        "owners": [[1, "second", 4, "Lyon", ODD_READ[backend]], [2, None, 5, None, None]],
        "members": [[1, 1, "lead"], [1, 2, "member"], [2, 1, "member"]],
        "lead": ["Lyon", "lead"],
        "profile": [5, "hello"],
        "reverse": "hello",
        "made_by": "ann",
    }
