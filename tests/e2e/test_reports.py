"""Reports: --report json|html|both and GENERATE_HTML_REPORT, on SQLite,
PostgreSQL and MariaDB.

The JSON report is validated against docs/report.schema.json with the
`jsonschema` package; the HTML report is opened in headless Chromium (Debian's
`chromium`), its text checked from the rendered DOM, and a screenshot kept
(the path is printed: build/e2e-artifacts/django<major>/ unless
DBSYNC_E2E_ARTIFACTS chooses another directory). No report
file and no output holds the database password.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import override_settings

import e2e_support as s

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
TAGS = 4  # fill.py writes four tags; three get a legacy code


def _q(db, name):
    return "`%s`" % name if s.is_my(db) else '"%s"' % name


def add_legacy_column(db):
    """An extra column on catalog_tag holding 3 non-null values (and one NULL)."""
    t, c = _q(db, "catalog_tag"), _q(db, "legacy_code")
    s.execute(db, "ALTER TABLE %s ADD COLUMN %s varchar(20) NULL" % (t, c),
              "UPDATE %s SET %s = 'L-1' WHERE %s <> 'bulk'" % (t, c, _q(db, "name")))


def _validate(report):
    import jsonschema  # scripts/deps.sh installs it: a missing one is an error, not a skip

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(report), key=lambda e: list(e.path))
    assert not errors, "\n".join("%s: %s" % (list(e.path), e.message) for e in errors)


def _reports(out_dir, suffix):
    return sorted(Path(out_dir).glob("dbsync-default-*" + suffix))


def _printed_paths(run):
    return [line.split("Report written: ", 1)[1].strip() for line in run.out.splitlines()
            if line.startswith("Report written: ")]


def _chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed to check the HTML report: scripts/deps.sh system installs "
                "Debian's chromium")


def _browser(html_path, *args):
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--user-data-dir=%s" % (Path(html_path).parent / "chromium-profile"), *args,
           Path(html_path).resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _artifacts():
    """Where screenshots are kept for a CI log to point at: DBSYNC_E2E_ARTIFACTS, else
    build/e2e-artifacts/django<major> of the repository (ignored by git), one
    folder per Django version since both suites run."""
    import django

    where = os.environ.get("DBSYNC_E2E_ARTIFACTS")
    path = Path(where) if where else REPO / "build" / "e2e-artifacts" / ("django%d" % django.VERSION[0])
    path.mkdir(parents=True, exist_ok=True)
    return path


PROBE = """<!doctype html><meta charset="utf-8"><iframe id="page" src="%s"></iframe><pre id="out"></pre>
<script>
document.getElementById("page").onload = function () {
  var rows = [];
  this.contentDocument.querySelectorAll(".badge").forEach(function (b) {
    var st = getComputedStyle(b);
    rows.push(b.textContent.trim() + "|" + st.color + "|" + st.backgroundColor);
  });
  this.contentWindow.performance.getEntriesByType("resource").forEach(function (e) {
    rows.push("fetched|" + e.name + "|");
  });
  document.getElementById("out").textContent = rows.join("\\n");
};
</script>"""


def _badge_colours(html_path):
    """The colours Chromium computes for each risk/status badge of the page:
    {text: {(colour, background)}}; a probe page frames the report and reads them.
    Anything the page fetched (stylesheet, font, image, script) shows up as 'fetched'."""
    import html

    probe = Path(html_path).with_name("colour-probe.html")
    probe.write_text(PROBE % html.escape(Path(html_path).name))
    dom = _browser(probe, "--allow-file-access-from-files", "--dump-dom")
    out = html.unescape(dom.split('<pre id="out">', 1)[1].split("</pre>", 1)[0])
    found = {}
    for line in filter(None, out.splitlines()):
        text, colour, background = line.split("|")
        found.setdefault(text, set()).add((colour, background))
    return found


def _visible_text(dom):
    """The page's text as a reader sees it: tags out, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", dom, flags=re.S)))


def add_orphan_and_view(db):
    """A table no model owns, holding 3 rows, and a view over a model's table."""
    s.execute(db, "CREATE TABLE %s (id integer PRIMARY KEY, note varchar(10))" % _q(db, "legacy_audit"),
              "INSERT INTO %s VALUES (1, 'a'), (2, 'b'), (3, NULL)" % _q(db, "legacy_audit"),
              "CREATE VIEW %s AS SELECT %s FROM %s" % (_q(db, "v_tag_names"), _q(db, "name"), _q(db, "catalog_tag")))


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_reports_of_an_applied_run(db_filled, tmp_path, capsys):
    db = db_filled
    add_legacy_column(db)
    add_orphan_and_view(db)
    out_dir = tmp_path / "reports"
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True, "REPORT_OUTPUT_DIR": str(out_dir)}):
        run = s.dbsync("--auto-approve", "--report", "both")
    assert run.code == 0, run.text
    [json_path], [html_path] = _reports(out_dir, ".json"), _reports(out_dir, ".html")
    assert _printed_paths(run) == [str(json_path), str(html_path)], run.out
    assert re.fullmatch(r"dbsync-default-\d{8}-\d{6}\.json", json_path.name)

    report = json.loads(json_path.read_text())
    _validate(report)
    assert report["database"]["alias"] == "default"
    assert report["database"]["vendor"] == s.backend_of(db)
    assert report["database"]["server_version"]
    assert report["mode"] == "apply" and report["outcome"] == "applied"
    assert report["tool"].startswith("django-dbsync ")
    assert set(report["selection"]["apps"]) == set(s.PROJECT_APPS)
    drops = [op for op in report["operations"] if op["risk"] == "data_loss"]
    assert drops, report["operations"]
    drop = drops[0]
    assert drop["table"] == "catalog_tag" and drop["status"] == "applied"
    assert drop["affected"] == TAGS - 1  # counted at plan time, on the live rows
    assert drop["model"] == "catalog.Tag"
    assert drop["sql"] and all("legacy_code" in stmt or "catalog_tag" in stmt for stmt in drop["sql"])
    assert drop["attempts"] >= 1 and drop["elapsed_ms"] > 0
    assert report["totals"]["applied"] == len(report["operations"]) == report["totals"]["operations"]
    assert report["totals"]["data_loss_affected"] == TAGS - 1
    assert report["skipped_destructive"] == []
    assert report["inventory_read"] is True
    [orphan] = [t for t in report["orphans"] if t["name"] == "legacy_audit"]
    assert orphan["rows"] == 3
    assert not [t for t in report["orphans"] if t["name"] in s.model_tables(*s.PROJECT_APPS)]
    [view] = [v for v in report["views"] if v["name"] == "v_tag_names"]
    assert view["valid"] is True and view["columns"] == 1

    # The HTML report in a real browser: summary first, the table's operations
    # with their SQL, risk and status in words.
    text = _visible_text(_browser(html_path, "--dump-dom"))
    assert text.index("Summary") < text.index("Operations by table") < text.index("Orphaned tables"), text
    assert "catalog_tag" in text and "legacy_code" in text
    assert "data loss" in text and "applied" in text
    assert "database default" in " ".join(text.split())
    assert "legacy_audit" in text.split("Orphaned tables")[1] and "v_tag_names" in text.split("Views")[-1]
    # risk and status by colour as well as by word, as the browser draws them
    colours = _badge_colours(html_path)
    assert "fetched" not in colours, colours["fetched"]  # self-contained: nothing loaded besides the page
    assert {"data loss", "applied"} <= set(colours), colours
    assert len(colours["data loss"]) == 1 and len(colours["applied"]) == 1, colours
    plain = ("rgb(0, 0, 0)", "rgba(0, 0, 0, 0)")
    assert colours["data loss"] != colours["applied"]
    assert all(c not in plain for pair in colours["data loss"] | colours["applied"] for c in pair), colours
    shot = _artifacts() / ("report-%s.png" % s.backend_of(db))
    _browser(html_path, "--screenshot=%s" % shot, "--window-size=1200,1600")
    assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print("\nHTML report screenshot (%s): %s" % (s.backend_of(db), shot))


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_dry_run_report_lists_skipped_destructive_changes(db_filled, tmp_path):
    db = db_filled
    add_legacy_column(db)
    before = s.snapshot_rows(db)
    out_dir = tmp_path / "reports"
    with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(out_dir)}):
        run = s.dbsync("--dry-run", "--report", "json")
    assert run.code == 0, run.text
    assert _reports(out_dir, ".html") == []
    [json_path] = _reports(out_dir, ".json")
    report = json.loads(json_path.read_text())
    _validate(report)
    assert report["mode"] == "dry_run" and report["outcome"] == "planned"
    [skipped] = report["skipped_destructive"]
    assert skipped["kind"] in ("drop_column", "rebuild_table") and skipped["status"] == "skipped"
    assert skipped["table"] == "catalog_tag" and skipped["affected"] == TAGS - 1
    assert skipped["reason"] and skipped["sql"]
    assert report["totals"]["skipped_destructive"] == 1
    assert report["totals"]["data_loss_affected"] == 0  # nothing was going to be lost
    assert s.snapshot_rows(db) == before


def test_generate_html_report_setting_writes_html_only(db_filled, tmp_path):
    out_dir = tmp_path / "nested" / "reports"
    with override_settings(DJANGO_DBSYNC={"GENERATE_HTML_REPORT": True, "REPORT_OUTPUT_DIR": str(out_dir)}):
        first = s.dbsync("--check")
        second = s.dbsync("--check")
    assert first.code == 0 and second.code == 0, first.text + second.text
    assert _reports(out_dir, ".json") == []
    pages = _reports(out_dir, ".html")
    # two runs in the same second never overwrite each other
    assert len(pages) == 2 and set(map(str, pages)) == set(_printed_paths(first) + _printed_paths(second))
    assert "In sync" in _visible_text(pages[0].read_text())


def test_report_names_the_backup_taken_before_applying(migrated_db, tmp_path):
    s.execute(migrated_db, 'DROP INDEX "product_released_idx"')
    with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(tmp_path / "reports"),
                                          "BACKUP_DIR": str(tmp_path / "backups")}):
        run = s.dbsync("--auto-approve", "--backup", "--report", "json")
    assert run.code == 0, run.text
    [path] = _reports(tmp_path / "reports", ".json")
    report = json.loads(path.read_text())
    _validate(report)
    assert report["backup"] and Path(report["backup"]).is_file(), report["backup"]
    assert Path(report["backup"]).parent == tmp_path / "backups"


def test_report_of_a_run_with_nothing_selected(dbfile, tmp_path):
    with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(tmp_path)}):
        run = s.dbsync("--include-apps", "django_dbsync", "--report", "json")
    assert run.code == 0, run.text
    [path] = _reports(tmp_path, ".json")
    report = json.loads(path.read_text())
    _validate(report)
    assert report["operations"] == [] and report["outcome"] == "in_sync"
    assert report["selection"]["include_apps"] == ["django_dbsync"]


def test_refused_run_still_writes_its_report(db_filled, tmp_path):
    """A change refused to protect data ends the run with status 1; the report
    records it, with its reason."""
    db = db_filled
    if s.is_pg(db):
        s.execute(db, 'ALTER TABLE "catalog_supplier" DROP COLUMN "email"')
    else:
        s.rebuild_table(db, "catalog_supplier", lambda sql: s.replace_once(
            sql, ', "email" varchar(254) NOT NULL UNIQUE', ""))
    with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(tmp_path)}):
        run = s.dbsync("--auto-approve", "--report", "json")
    assert run.code == 1, run.text
    [path] = _reports(tmp_path, ".json")
    report = json.loads(path.read_text())
    _validate(report)
    assert report["outcome"] == "refused"
    refused = [op for op in report["operations"] if op["status"] == "refused"]
    # the column, and the unique key (and index) over it, refused with it
    assert [op["kind"] for op in refused].count("add_column") == 1 and len(refused) >= 2, refused
    assert all(op["table"] == "catalog_supplier" and "email" in op["reason"] for op in refused), refused


def test_unwritable_report_directory_is_a_clear_error(db_filled, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(blocker / "reports")}):
        run = s.dbsync("--check", "--report", "json")
    assert run.code == 2 and "could not write the report" in str(run.error), run.text


def _hold_table_lock(db, table):
    """Another session holding a lock that DDL on `table` must wait for: an open
    transaction that has read it. Returns the connection; closing it releases."""
    if s.is_pg(db):
        con = db.connect(autocommit=False)
        con.execute('SELECT count(*) FROM "%s"' % table)
        return con
    con = db.server.connect(db.name)
    cur = con.cursor()
    cur.execute("START TRANSACTION")
    cur.execute("SELECT COUNT(*) FROM `%s`" % table)
    return con


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_failed_operation_is_reported_with_the_real_database_error(db_filled, tmp_path):
    """A lock held by another session and a short lock timeout, no retries: the
    operation fails, and both reports carry its SQLSTATE / error number and message."""
    db = db_filled
    _engine = s.engine()
    desired = s.engine_introspect_sql(db)  # the schema as it is before the drift below
    add_legacy_column(db)
    conn = s.engine_connect(db)
    try:
        plan = conn.plan(desired, drop_columns=True)
        [drop] = [op for op in plan.ops if op["status"] == "pending"]
        assert drop["kind"] == "drop_column" and drop["affected"] == TAGS - 1, plan.ops
        holder = _hold_table_lock(db, "catalog_tag")
        try:
            with pytest.raises(_engine.Error):
                conn.apply(plan, lock_timeout_ms=300, max_retries=0)
        finally:
            holder.close()
        report = json.loads(plan.report_json(json.dumps({"database": {"alias": "default"}, "mode": "apply",
                                                         "outcome": "failed"})))
    finally:
        conn.close()
    _validate(report)
    [failed] = [op for op in report["operations"] if op["status"] == "failed"]
    assert failed["error"]["message"] and failed["attempts"] == 1
    if s.is_pg(db):
        assert failed["error"]["sqlstate"] == "55P03"  # lock_not_available
    else:
        assert failed["error"]["native_code"] == 1205  # ER_LOCK_WAIT_TIMEOUT
    assert report["totals"]["failed"] == 1
    page = tmp_path / "failed.html"
    page.write_text(_engine.report_html(json.dumps(report)))
    text = _visible_text(_browser(page, "--dump-dom"))
    assert "failed" in text and failed["error"]["message"][:40] in " ".join(text.split())


# --- no password anywhere -------------------------------------------------------

def _password_settings(db):
    """DATABASES settings logging in with a password, on a database the user owns."""
    if s.is_pg(db):
        from e2e_pg import PW_ROLE

        db.execute("ALTER DATABASE %s OWNER TO %s" % (s.q(db.name), PW_ROLE),
                   "ALTER SCHEMA public OWNER TO %s" % PW_ROLE)
        return db.settings_dict(user=PW_ROLE, password=db.server.password, options={"sslmode": "disable"}), \
            db.server.password
    password = "rep0rt-Secret-7c1d"
    db.execute("CREATE USER IF NOT EXISTS 'dbsync_report'@'localhost' IDENTIFIED BY '%s'" % password,
               # every database: the engine normalizes the desired side in a shadow database
               "GRANT ALL ON *.* TO 'dbsync_report'@'localhost'")
    settings = db.settings_dict()
    settings.update(USER="dbsync_report", PASSWORD=password)
    return settings, password


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_no_password_in_any_report_or_output(db_empty, tmp_path):
    from conftest import use_database

    db = db_empty
    settings, password = _password_settings(db)
    previous = use_database("default", settings)
    try:
        with override_settings(DJANGO_DBSYNC={"REPORT_OUTPUT_DIR": str(tmp_path)}):
            runs = [s.dbsync("--auto-approve", "--report", "both", verbosity=3),
                    s.dbsync("--dry-run", "--report", "both", verbosity=3),
                    s.dbsync("--check", "--report", "both")]
    finally:
        use_database("default", previous)
    assert [r.code for r in runs] == [0, 0, 0], "\n".join(r.text for r in runs)
    assert {"catalog_tag", "catalog_product", "notes_memo"} <= set(db.user_tables())
    files = list(tmp_path.iterdir())
    assert len([f for f in files if f.suffix in (".json", ".html")]) == 6, files
    for f in files:
        if f.is_file():
            assert password not in f.read_text(errors="replace"), f
    for run in runs:
        assert password not in run.text
        assert "database 'default'" in run.out.splitlines()[0]
