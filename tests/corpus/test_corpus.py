"""The real-app corpus (README.md): dbsync on databases that `migrate` of real
apps from PyPI built, on SQLite, PostgreSQL and MariaDB.

a. zero false differences on the migrate-built database;
b. a default `dbsync --auto-approve` changes nothing the models don't declare
   (catalog before == after) and the apps still work after it;
c. an empty database built by dbsync alone equals Django's create_model
   reference and converges.
The three bugs of issue 10 are regression tests here, each on its backend:
wagtail's FULLTEXT indexes on MariaDB, the "C" collation of the page tree's
path on PostgreSQL, the FTS5 virtual table on SQLite.
"""
import json
import re

import pytest

BACKENDS = ("sqlite", "postgresql", "mysql")

# Real differences between what `migrate` built and what the models say (not
# false ones): dbsync reports them, and a default run applies them.
# - oscar's customer 0005 gave Notification.date_sent db_index=True;
#   communication 0001 then took the model over (SeparateDatabaseAndState)
#   with a state that has no such index, so the database keeps an index no
#   model declares (an extra index of a kind Django writes: dropped, by design).
OSCAR_LOST_INDEX = ("communication_notification", "drop_index", "customer_notification_date_sent_9b6baeda")
# - Django's own quirk (tests/e2e/test_baseline.py has auth's): migrations
#   build an auto-created many-to-many table with the project's
#   DEFAULT_AUTO_FIELD (BigAutoField here), while the model gives it its app's
#   AutoField. SQLite calls both "integer"; PostgreSQL and MariaDB make bigint
#   where the models say integer.
M2M_ID_QUIRK = {"wagtailcore_collectionviewrestriction_groups", "wagtailcore_groupapprovaltask_groups",
                "wagtailcore_pageviewrestriction_groups", "socialaccount_socialapp_sites"}


# - MariaDB only: two PositiveIntegerField CHECKs that the migrations never
#   added (wagtail's Document.file_size, oscar's Line.num_allocated: fields
#   altered to positive ones), and an index on wagtailcore_grouppagepermission
#   (group_id) that no model declares any more.
MARIADB_ONLY = {("wagtaildocs_document", "add_constraint", None), ("order_line", "add_constraint", None),
                ("wagtailcore_grouppagepermission", "drop_index",
                 "wagtailcore_grouppagepermission_group_id_fc07e671")}


def known_differences(backend):
    ops = {OSCAR_LOST_INDEX}
    if backend != "sqlite":
        ops |= {(table, "alter_column", "id") for table in M2M_ID_QUIRK}
    if backend == "mysql":
        ops |= MARIADB_ONLY
    return ops


# What no model could declare, per backend, that migrate leaves behind: kept
# and listed by every plan (kind, table, object).
UNMANAGED = {
    "sqlite": {("virtual_table", "wagtailsearch_indexentry_fts", None)}
    | {("shadow_table", "wagtailsearch_indexentry_fts_" + s, None)
       for s in ("data", "idx", "content", "docsize", "config")}
    | {("trigger", "wagtailsearch_indexentry", "%s_wagtailsearch_indexentry_fts" % op)
       for op in ("insert", "update", "delete")},
    "postgresql": {("collation", "wagtailcore_page", "path"), ("collation", "wagtailcore_collection", "path")},
    "mysql": {("index", "wagtailsearch_indexentry", name)
              for name in ("fulltext_body", "fulltext_title", "fulltext_title_body", "fulltext_autocomplete")},
}


# - PostgreSQL only: oscar's catalogue 0030 (RunSQL) makes a materialized view
#   with a unique index; its model, ProductCategoryHierarchy, is managed = False.
#   dbsync syncs tables: a plan neither changes nor lists as unmanaged the view
#   or its index (the report lists the view with the database's views).
OSCAR_MATVIEW = ("catalogue_product_category_hierarchy", "catalogue_product_category_hierarchy_idx")


def run_report(corpus, *args):
    """Run dbsync with a JSON report; (process, report dict)."""
    proc = corpus.manage("dbsync", "--report", "json", *args, check=False)
    paths = re.findall(r"Report written: (\S+\.json)", proc.stdout + proc.stderr)
    assert paths, proc.stdout + proc.stderr
    with open(paths[-1]) as f:
        return proc, json.load(f)


def op_keys(report):
    return {(op["table"], op["kind"], op["object"]) for op in report["operations"]}


def unmanaged_keys(report):
    return {(u["kind"], u["table"], u["object"]) for u in report["unmanaged"]}


def without_known_differences(backend, rows):
    """The catalog rows without what the known differences touch: oscar's lost
    index, and the id columns of the many-to-many quirk's tables."""
    table, _, index = OSCAR_LOST_INDEX
    if backend == "sqlite":
        return [r for r in rows if r[1] != index]
    rows = dict(rows)
    if backend == "postgresql":
        rows["indexes"] = [r for r in rows["indexes"] if r[0] != index]
        rows["relations"] = [r for r in rows["relations"] if r[1] != index]
        rows["columns"] = [r for r in rows["columns"] if not (r[0] in M2M_ID_QUIRK and r[2] == "id")]
        return rows
    # MariaDB: the tables the known differences touch are left out whole
    for touched in {t for t, _, _ in known_differences(backend)}:
        rows.pop(touched, None)
    return rows


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def test_migrate_built_database_is_left_alone_and_the_apps_still_work(corpus_migrated, backend, corpus_sizes):
    corpus = corpus_migrated
    before = corpus.schema_rows()
    corpus_sizes[(backend, "built by migrate")] = corpus.size()

    # a. the only difference is oscar's real one; everything else is in sync
    check, report = run_report(corpus, "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert op_keys(report) == known_differences(backend), check.stdout
    assert unmanaged_keys(report) == UNMANAGED[backend], check.stdout
    assert all(u["action"] == "kept" for u in report["unmanaged"])
    assert corpus.schema_rows() == before  # --check is read-only
    if backend == "postgresql":
        view, index = OSCAR_MATVIEW
        assert ("m", view) in {tuple(r) for r in before["relations"]}
        assert index in {r[0] for r in before["indexes"]}
        planned = json.dumps([report["operations"], report["unmanaged"]])
        assert view not in planned and index not in planned, planned
        assert view in {v["name"] for v in report["views"]}  # listed with the views
    differing = ",".join(sorted({table for table, _, _ in known_differences(backend)}))
    rest = corpus.manage("dbsync", "--check", "--exclude-table-patterns", differing, check=False)
    assert rest.returncode == 0, rest.stdout + rest.stderr

    # b. a default run changes nothing the models don't declare
    run, report = run_report(corpus, "--auto-approve")
    assert run.returncode == 0, run.stdout + run.stderr
    assert {(op["table"], op["kind"], op["object"], op["status"]) for op in report["operations"]} == \
        {known + ("applied",) for known in known_differences(backend)}
    after = corpus.schema_rows()
    assert without_known_differences(backend, after) == without_known_differences(backend, before)
    if backend == "postgresql":  # the view's index is kept (the equality above says so too)
        assert OSCAR_MATVIEW[1] in {r[0] for r in after["indexes"]}
    again = corpus.manage("dbsync", "--check", check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Unmanaged (no model could declare these" in again.stdout
    # dbcheck lists them too, and they are no problem
    dbcheck = corpus.manage("dbcheck", check=False)
    assert dbcheck.returncode == 0, dbcheck.stdout + dbcheck.stderr
    assert "unmanaged objects (no model could declare them): %d" % len(UNMANAGED[backend]) in dbcheck.stdout

    # ... and the apps still work on it
    smoke = json.loads(corpus.manage("corpus_smoke").stdout)
    wagtail = smoke["wagtail"]
    assert wagtail["found"] == [wagtail["page"]], smoke  # wagtail search finds the new page
    assert wagtail["paths"] == sorted(wagtail["paths"]), smoke  # tree order by path
    assert wagtail["page"] in wagtail["descendants"], smoke
    if backend == "postgresql":
        assert wagtail["path_collation"] == "C", smoke
    assert smoke["allauth"] == {"emails": ["quokka@example.com"], "apps": ["github"]}
    assert smoke["oscar"] == {"products": ["Quokka tales"], "categories": ["Shelf", "Novels"], "stock": [3]}
    assert smoke["reversion"] == {"versions": 1}


@pytest.mark.parametrize("backend", ["mysql"])
def test_mariadb_fulltext_indexes_survive_a_sync(corpus_migrated):
    """Issue 10: wagtail's four FULLTEXT indexes (RunSQL) were dropped and
    wagtail search then raised (1191, "Can't find FULLTEXT index")."""
    db = corpus_migrated.handle
    run = corpus_migrated.manage("dbsync", "--auto-approve", check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = db.query("SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
                    "AND TABLE_NAME = 'wagtailsearch_indexentry' AND INDEX_TYPE = 'FULLTEXT'")
    assert {r[0] for r in rows} == {name for _, _, name in UNMANAGED["mysql"]}
    smoke = json.loads(corpus_migrated.manage("corpus_smoke").stdout)
    assert smoke["wagtail"]["found"] == [smoke["wagtail"]["page"]]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgres_page_path_keeps_its_c_collation(corpus_migrated):
    """Issue 10: COLLATE "C" that wagtail's migration sets on
    wagtailcore_page.path was removed by ALTER COLUMN ... TYPE."""
    db = corpus_migrated.handle
    run = corpus_migrated.manage("dbsync", "--auto-approve", check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = db.query("SELECT c.relname, co.collname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "JOIN pg_collation co ON co.oid = a.attcollation WHERE a.attname = 'path' "
                    "AND c.relname IN ('wagtailcore_page', 'wagtailcore_collection')")
    assert sorted(rows) == [("wagtailcore_collection", "C"), ("wagtailcore_page", "C")]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_fts5_table_is_not_created_again(corpus_migrated):
    """Issue 10: the FTS5 virtual table was invisible, dbsync planned CREATE
    TABLE for it and the whole transaction failed."""
    run = corpus_migrated.manage("dbsync", "--auto-approve", check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "create table `wagtailsearch_indexentry_fts`" not in run.stdout
    rows = {r[1]: r[3] for r in corpus_migrated.schema_rows()}
    assert rows["wagtailsearch_indexentry_fts"].startswith("CREATE VIRTUAL TABLE")


def test_drop_unmanaged_asks_for_it(corpus_migrated, backend):
    """DROP_UNMANAGED (--drop-unmanaged): indexes and collations no model
    declares are planned for removal, as data-loss operations; virtual tables,
    shadow tables and triggers are still only listed."""
    check, report = run_report(corpus_migrated, "--check", "--drop-unmanaged")
    assert check.returncode == 1
    dropped = {(u["kind"], u["table"], u["object"]) for u in report["unmanaged"] if u["action"] == "dropped"}
    expected = {u for u in UNMANAGED[backend] if u[0] in ("index", "collation")}
    assert dropped == expected
    if backend == "mysql":
        risks = {op["object"]: op["risk"] for op in report["operations"] if op["kind"] == "drop_index"}
        assert all(risks[name] == "data_loss" for _, _, name in expected), risks


def test_empty_database_built_by_dbsync_equals_create_model_reference(corpus_empty, corpus_reference, backend,
                                                                      corpus_sizes):
    # every model, Django's own apps too: the reference has them all
    run = corpus_empty.manage("dbsync", "--auto-approve", "--no-restriction", check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    corpus_reference.manage("corpus_reference")
    built, reference = corpus_empty.schema_rows(), corpus_reference.schema_rows()
    corpus_sizes[(backend, "built by dbsync")] = corpus_empty.size()
    if backend == "sqlite":
        # the stored CREATE text is each writer's own spelling: compare what
        # SQLite derived from it instead (engine inspect is the same reader for both)
        built, reference = inspect(corpus_empty), inspect(corpus_reference)
    if backend == "mysql":
        built, reference = keys_sorted(built), keys_sorted(reference)
    assert built == reference, differences(built, reference)
    again = corpus_empty.manage("dbsync", "--check", "--no-restriction", check=False)
    assert again.returncode == 0, again.stdout + again.stderr


def keys_sorted(rows):
    """SHOW CREATE TABLE lists a table's keys and constraints in the order
    they were made: create_model adds the indexes of db_index fields after
    the table, dbsync inside it. The order means nothing to the server, so
    the key lines are sorted; the columns keep theirs."""
    out = {}
    for table, text in rows.items():
        lines = text.split("\n")
        keys = sorted(line.rstrip(",") for line in lines[1:-1] if not line.startswith("  `"))
        cols = [line.rstrip(",") for line in lines[1:-1] if line.startswith("  `")]
        out[table] = "\n".join([lines[0], ",\n".join(cols + keys), lines[-1]])
    return out


def differences(built, reference):
    """What only one side has, readable: per catalog part (PostgreSQL's
    relations, columns, ...; MariaDB's tables; SQLite's statements)."""
    if isinstance(built, list):
        built, reference = {"statements": built}, {"statements": reference}
    out = []
    for part in sorted(set(built) | set(reference)):
        mine, theirs = built.get(part), reference.get(part)
        if mine == theirs:
            continue
        if isinstance(mine, str) or isinstance(theirs, str):
            out.append("%s:\n  dbsync:    %s\n  reference: %s" % (part, mine, theirs))
            continue
        mine, theirs = set(map(tuple, mine or ())), set(map(tuple, theirs or ()))
        out += ["%s only dbsync: %s" % (part, r) for r in sorted(mine - theirs, key=repr)]
        out += ["%s only reference: %s" % (part, r) for r in sorted(theirs - mine, key=repr)]
    return "\n".join(out)


def inspect(corpus):
    """The schema as the engine's CLI reads it back (dbsync inspect), one
    statement a line, sorted: the two databases created their tables in
    different orders."""
    import os
    import subprocess

    cli = os.environ.get("DBSYNC_CLI")
    assert cli, "DBSYNC_CLI must name the built dbsync CLI (make test sets it)"
    proc = subprocess.run([cli, "inspect", "--db", "sqlite:///" + corpus.handle], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return sorted(proc.stdout.split(";\n"))
