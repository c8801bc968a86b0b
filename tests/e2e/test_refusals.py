"""A refused change takes what depends on it along.

catalog_supplier loses its CountryCode column (NOT NULL, no default, in an
index and in unique_together) while it holds rows: adding it back is refused
with the row count, and the index and the unique constraint over it are
refused with it, named in the plan. The rest applies, and the run ends with the
refusal's exit status, not with "after applying, the database still differs".
Every backend.
"""
import re

import pytest

import e2e_support as s


def _drop_country_code(db):
    if s.is_server(db):
        uniq = [n for n in s.index_names(db, "catalog_supplier", columns=["name", "CountryCode"])]
        if s.is_my(db):
            s.execute(db, *["DROP INDEX `%s` ON `catalog_supplier`" % n for n in uniq])
        s.execute(db, ('ALTER TABLE "catalog_supplier" DROP COLUMN "CountryCode"' if s.is_pg(db)
                       else "ALTER TABLE `catalog_supplier` DROP COLUMN `CountryCode`"))
        return
    drop = s.index_names(db, "catalog_supplier", columns=["CountryCode"])

    def edit(sql):
        sql = re.sub(r',\s*"CountryCode" varchar\(2\) NOT NULL', "", sql)
        return re.sub(r',\s*(CONSTRAINT "[^"]+" )?UNIQUE \("name", "CountryCode"\)', "", sql)
    s.rebuild_table(db, "catalog_supplier", edit, drop_indexes=drop + s.index_names(
        db, "catalog_supplier", columns=["name", "CountryCode"]))


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_refused_column_takes_its_index_and_unique_along(db_filled):
    _drop_country_code(db_filled)
    assert "CountryCode" not in s.column_names(db_filled, "catalog_supplier")
    s.execute(db_filled, *(['DROP INDEX "product_released_idx"'] if not s.is_my(db_filled)
                           else ["DROP INDEX `product_released_idx` ON `catalog_product`"]))
    before = s.snapshot_rows(db_filled)

    run = s.dbsync("--auto-approve")
    text = run.text
    assert run.code == 1, "a run that refused a change must exit 1:\n" + text
    assert "still differs" not in text, text
    assert re.search(r'CountryCode.*NOT NULL without a default and "catalog_supplier" has \d+ rows?', text), text
    dependents = [line for line in text.splitlines() if 'column "CountryCode" of "catalog_supplier", '
                  "whose addition is refused" in line]
    assert len(dependents) >= 2, "the index and the unique constraint over it must be refused with it:\n" + text
    assert "product_released_idx" in s.index_names(db_filled, "catalog_product")
    assert "CountryCode" not in s.column_names(db_filled, "catalog_supplier")
    after = s.snapshot_rows(db_filled)
    assert after["catalog_supplier"] == before["catalog_supplier"]
    # planning again: the same refusals, nothing pending
    again = s.dbsync("--auto-approve")
    assert again.code == 1 and "still differs" not in again.text, again.text
