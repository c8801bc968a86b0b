"""When a model's table and a live table differ only in letter case, whether
they are one table is the server's answer, and the engine gives it
(Connection.table_key): PostgreSQL (and MariaDB with lower_case_table_names=0,
the session server's Linux default) keeps `notes_notebook` and
`NOTES_NOTEBOOK` apart, so the model's table is missing there; SQLite compares
table names ignoring case, so it is the same table, spelled otherwise (and
MariaDB with lower_case_table_names=1: test_lctn1.py). dbsync plans the same
case fix everywhere; only what dbcheck counts as missing follows the server."""
import pytest

import e2e_support as s
from e2e_support import ALL_BACKENDS
from test_dbcheck import dbcheck
from test_renames import NOTEBOOK, SHOUTED, rename_by_hand


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_a_live_table_in_another_case_is_the_models_table_only_where_the_server_says_so(db_migrated):
    rename_by_hand(db_migrated, NOTEBOOK, SHOUTED)
    r = dbcheck()
    assert r.code == 1, r.text
    assert "table-name case mismatches: 1" in r.out, r.out
    if s.is_server(db_migrated):  # PostgreSQL; MariaDB with lower_case_table_names=0
        assert " in sync, 0 differ, 1 missing)" in r.out, r.out
    else:  # SQLite
        assert " in sync, 1 differ, 0 missing)" in r.out, r.out
    # whatever the server's rule, the case fix stays the model's change
    compare = dbcheck("--compare-models").out
    assert "notes.Notebook (notes_notebook): 1 difference" in compare, compare
    assert "rename table `NOTES_NOTEBOOK` to `notes_notebook`" in compare, compare
    check = s.dbsync("--check")
    assert "notes.Notebook: 1 change pending" in check.out, check.out
    assert SHOUTED in s.user_tables(db_migrated)  # read-only: not renamed
