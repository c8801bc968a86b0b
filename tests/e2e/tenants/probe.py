"""What django_dbsync.tenants makes of this project, as JSON on stdout:
`manage.py shell -c "import probe; probe.run(no_restriction)"`.

For each group: its label, members and the tables of its desired schema, and
for each member the operations the engine plans when it syncs that schema
alone (the `schema` connection option). Then the schema the connection is set
to afterwards (the groups' routing must leave it where it was).
"""
import json

from django.db import connections

from django_dbsync import _engine, conf
from django_dbsync.desired import build_desired
from django_dbsync.engine import connection_params
from django_dbsync.tenants import group_specs


def run(no_restriction=False):
    out = {"groups": []}
    for label, selection, members in group_specs("default", conf.get_settings("default"),
                                                 {"no_restriction": no_restriction}):
        desired = build_desired("default", selection)
        plans = {}
        for schema in members:
            vendor, params = connection_params("default")
            conn = _engine.Connection(vendor, dict(params, schema=schema, readonly="1"))
            try:
                plans[schema] = [op["summary"] for op in conn.plan(desired.sql, desired.metadata_json).ops]
            finally:
                conn.close()
        out["groups"].append({"label": label, "members": members, "tables": sorted(desired.tables),
                              "plans": plans})
    out["schema_after"] = connections["default"].schema_name
    print(json.dumps(out))
