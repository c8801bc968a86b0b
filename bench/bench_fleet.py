"""Fleet benchmark (bench/README.md, "Fleets"): one run over many tenant schemas
against django-tenants' migrate_schemas and a loop of one run per schema, side by
side on one throwaway PostgreSQL server.

    python bench/bench_fleet.py [--tenants 1000] [--tables 50] [--growth 100,1000,5000]
        [--growth-tables 10] [--loop-budget 600] [--skip-baselines] [--cli build/c/dbsync]

Run it with the python of a venv holding Django, django-tenants and this package
(`make bench-fleet` makes .venv/bench-fleet). It builds a real django-tenants project
(bench_fleet_project.py), migrates the public schema and one tenant with
migrate_schemas, clones that tenant by SQL into --tenants schemas with their rows in
the tenant model, then measures:
  1. the no-op check of the whole fleet: `manage.py dbsync --all-tenants --check` and
     `dbsync plan --schema 'tenant_*'` (each under 10 s), against `migrate_schemas`
     and against one `dbsync plan --schema X` process per schema;
  2. the catalog round trips of the whole fleet against those of one schema (equal);
  3. applying one missing column to every schema with --jobs 1 and --jobs 4;
  4. time and peak memory of `dbsync plan --schema 'g_*'` over --growth schemas of
     --growth-tables tables each, in a database of their own: the cost per added
     schema must not grow by more than GROWTH_LIMIT from the first step to the last.
Times are wall clock; `cpu` is the process's own user+system time and `rss` its peak
resident memory (getrusage of that child alone); `server cpu` is what the server's
processes for its connections used (Server.cpu). It exits 1 when a goal is missed or
a measured command is missing or fails, after printing everything it measured.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHECK_LIMIT_S = 10.0   # the no-op check of 1,000 schemas x 50 tables
GROWTH_LIMIT = 1.5     # cost per added schema, last step against first (bench_scale's factor)
FLEET_PATTERN = "tenant_*"
GROWTH_PATTERN = "g_*"
failures = []


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def fail(msg):
    failures.append(msg)
    print("bench: FAIL " + msg, flush=True)


class Run:
    """One finished process: wall seconds, its own CPU seconds and peak RSS (MB)."""

    def __init__(self, cmd, rc, wall, usage, out):
        self.cmd, self.rc, self.wall, self.out = cmd, rc, wall, out
        self.cpu = usage.ru_utime + usage.ru_stime
        self.rss = usage.ru_maxrss / 1024.0
        self.server_cpu = None

    def __str__(self):
        text = "%8.2f s wall %8.2f s cpu %7.1f MB rss" % (self.wall, self.cpu, self.rss)
        if self.server_cpu is not None:
            text += " %8.2f s server cpu" % self.server_cpu
        return text


def run(cmd, *, cwd=None, env=None, ok=(0,), timeout=3600, server=None):
    """Run cmd, its output in a file (no pipe to fill); os.wait4 gives the rusage of
    that child alone, `server` (a Server) the CPU its connections took there. Exit
    codes outside `ok` are a failure the caller sees in .rc."""
    before = server.cpu() if server else None
    with tempfile.TemporaryFile() as out:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    r = Run(cmd, p.returncode, wall, usage, text)
    r.ok = r.rc in ok
    if server:
        r.server_cpu = server.cpu() - before
    return r


def best_of(n, call):
    """The fastest (wall) of n runs, or the first that failed."""
    best = None
    for _ in range(n):
        r = call()
        if not r.ok:
            return r
        best = r if best is None or r.wall < best.wall else best
    return best


def tail(text, n=15):
    return "\n".join(text.splitlines()[-n:])


def catalog_queries(text):
    """The catalog queries `manage.py dbsync -v 2` reports, or None."""
    m = re.search(r"catalog queries: (\d+)", text)
    return int(m.group(1)) if m else None


class Server:
    """A throwaway PostgreSQL server (scripts/pg-server.sh) and psql/pg_dump on it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-fleet-pg-")
        env = dict(os.environ, DBSYNC_PG_EXTRA_CONF="max_locks_per_transaction = 1024")
        out = subprocess.run([os.path.join(ROOT, "scripts", "pg-server.sh"), "start", self.dir],
                             env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        url = out.strip().splitlines()[-1]
        # psql and pg_dump only (not the measured runs): no NOTICE chatter
        self.env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
        self.sock = re.search(r"host=([^&]+)", url).group(1)
        self.version = self.psql("dbsync_test", "SHOW server_version", capture=True).strip()
        data = self.psql("dbsync_test", "SHOW data_directory", capture=True).strip()
        with open(os.path.join(data, "postmaster.pid")) as f:
            self.postmaster = int(f.readline())

    def cpu(self):
        """CPU seconds of the server's ended processes (the postmaster's reaped
        children: each connection's backend once it closed), so a run's server
        side is the difference around it, whatever else the machine runs."""
        time.sleep(0.3)  # the postmaster reaps a closed connection's backend shortly after
        with open("/proc/%d/stat" % self.postmaster) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the command name: cutime and cstime are fields 16 and 17 of stat(5)
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    def url(self, db):
        return "postgresql://dbsync@/%s?host=%s" % (db, self.sock)

    def psql(self, db, sql, capture=False):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.sock,
                            "-U", "dbsync", "-d", db], input=sql, text=True, check=True, env=self.env,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
        return r.stdout

    def stream(self, db):
        """A psql reading SQL from a pipe (write, then close stdin and wait)."""
        return subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.sock,
                                 "-U", "dbsync", "-d", db], stdin=subprocess.PIPE, env=self.env,
                                stdout=subprocess.DEVNULL, text=True)

    def dump_schema(self, db, schema, tables=None):
        cmd = ["pg_dump", "-h", self.sock, "-U", "dbsync", "--no-owner", "--no-privileges",
               "--schema", schema]
        if tables:
            cmd += ["--table", tables]
        return subprocess.run(cmd + [db], check=True, stdout=subprocess.PIPE, text=True,
                              env=self.env).stdout

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "pg-server.sh"), "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def clone(server, db, dump, template, names):
    """Create each schema of `names` from `dump` (pg_dump of schema `template`, with
    data), one transaction per schema, through one psql."""
    p = server.stream(db)
    word = re.compile(r"\b%s\b" % re.escape(template))
    for name in names:
        p.stdin.write("BEGIN;\n" + word.sub(name, dump) + "\nCOMMIT;\n")
    p.stdin.close()
    if p.wait() != 0:
        raise SystemExit("bench: cloning schema %s failed" % template)


class Project:
    """The django-tenants project on database `db`, run with this interpreter."""

    def __init__(self, server, db, tables, workdir):
        self.dir = os.path.join(workdir, "project")
        self.server = server
        subprocess.run([sys.executable, os.path.join(HERE, "bench_fleet_project.py"), self.dir,
                        str(tables)], check=True)
        self.env = dict(os.environ, BENCH_PG_HOST=server.sock, BENCH_PG_NAME=db,
                        BENCH_PG_USER="dbsync", DJANGO_SETTINGS_MODULE="settings")
        self.env.pop("PYTHONPATH", None)

    def manage(self, *args, ok=(0,), timeout=3600, measured=True):
        return run([sys.executable, "manage.py"] + list(args), cwd=self.dir, env=self.env, ok=ok,
                   timeout=timeout, server=self.server if measured else None)

    def must(self, *args):
        r = self.manage(*args)
        if not r.ok:
            raise SystemExit("bench: manage.py %s failed (exit %d):\n%s" % (" ".join(args), r.rc,
                                                                           tail(r.out)))
        return r

    def desired_sql(self, schema, exclude=()):
        """The tenant app's DDL as our dbsync command builds it (Django's schema editor,
        django-tenants' router on `schema`), for the CLI's --desired."""
        code = ("from django.db import connection\n"
                "from django_dbsync import conf\n"
                "from django_dbsync.desired import Selection, build_desired\n"
                "connection.set_schema(%r)\n"
                "sel = Selection(conf.get_settings('default'), include_apps=['benchapp'],"
                " exclude_table_patterns=%r)\n"
                "print(build_desired('default', sel).sql)\n" % (schema, list(exclude)))
        return self.must("shell", "-v", "0", "-c", code).out


def tenant_names(prefix, first, last):
    return ["%s%05d" % (prefix, i) for i in range(first, last)]


def has_option(r, option):
    return option in r.out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--tables", type=int, default=50)
    ap.add_argument("--growth", default="100,1000,5000")
    ap.add_argument("--growth-tables", type=int, default=10)
    ap.add_argument("--loop-budget", type=float, default=600.0,
                    help="seconds the loop of one process per schema may take before it stops "
                         "and is extrapolated from the schemas it ran")
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "c", "dbsync"))
    ap.add_argument("--skip-baselines", action="store_true",
                    help="measure neither migrate_schemas nor the loop (they take most of the time)")
    args = ap.parse_args()
    growth = [int(x) for x in args.growth.split(",") if x]
    cli = args.cli
    work = tempfile.mkdtemp(prefix="bench-fleet-")
    server = Server()
    try:
        measure(server, work, cli, args, growth)
    finally:
        server.stop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("bench: %d goal(s) missed or commands missing:" % len(failures))
        for f in failures:
            print("  - " + f)
        return 1
    return 0


def measure(server, work, cli, args, growth):
    n, db = args.tenants, "bench_fleet"
    print("fleet bench: %d tenant schemas x %d tables, PostgreSQL %s, %d CPUs, load %s"
          % (n, args.tables, server.version, os.cpu_count(), load()), flush=True)
    server.psql("dbsync_test", "CREATE DATABASE %s" % db)
    project = Project(server, db, args.tables, work)
    project.must("makemigrations", "customers", "benchapp", "-v", "0")
    project.must("migrate_schemas", "--shared", "-v", "0")
    first = tenant_names("tenant_", 0, 1)[0]
    r = project.must("shell", "-v", "0", "-c", "from customers.models import Client\n"
                     "Client(schema_name=%r, name='t0').save()" % first)
    print("one tenant created by django-tenants (migrate_schemas of it): %.1f s" % r.wall, flush=True)

    t0 = time.monotonic()
    dump = server.dump_schema(db, first)
    rest = tenant_names("tenant_", 1, n)
    clone(server, db, dump, first, rest)
    server.psql(db, "INSERT INTO customers_client (schema_name, name) VALUES %s"
                % ",".join("('%s', '%s')" % (s, s) for s in rest))
    print("cloned into %d schemas by SQL: %.1f s" % (n - 1, time.monotonic() - t0), flush=True)

    desired = os.path.join(work, "tenant.sql")
    with open(desired, "w") as f:
        f.write(project.desired_sql(first))
    # The growth fleet's models: the first --growth-tables ones (item 4).
    growth_desired = os.path.join(work, "growth.sql")
    with open(growth_desired, "w") as f:
        f.write(project.desired_sql(first, exclude=[
            r"benchapp_m(?!(%s)$)" % "|".join(str(i) for i in range(args.growth_tables))]))
    url = server.url(db)

    def cli_plan(schema, *more, measured=True):
        return run([cli, "plan", "--desired", desired, "--db", url, "--schema", schema] + list(more),
                   server=server if measured else None)

    # The clones must be what the models declare: one schema checked now.
    r = cli_plan(rest[-1])
    if not r.ok:
        raise SystemExit("bench: the cloned schema %s is not in sync (exit %d):\n%s"
                         % (rest[-1], r.rc, tail(r.out)))

    rows = []   # (what, Run)
    print("\n1. no-op check of the fleet (load %s)" % load(), flush=True)
    mig = None
    if not args.skip_baselines:
        mig = project.manage("migrate_schemas", "-v", "0")
        if not mig.ok:
            fail("migrate_schemas failed (exit %d): %s" % (mig.rc, tail(mig.out, 5)))
        print("  migrate_schemas:        %s" % mig, flush=True)

    if has_option(project.manage("dbsync", "--help", measured=False), "--all-tenants"):
        dj = best_of(3, lambda: project.manage("dbsync", "--all-tenants", "--check"))
        if not dj.ok:
            fail("manage.py dbsync --all-tenants --check exit %d: %s" % (dj.rc, tail(dj.out, 5)))
        else:
            print("  dbsync --all-tenants --check: %s" % dj, flush=True)
            rows.append(("manage.py dbsync --all-tenants --check", dj))
    else:
        fail("manage.py dbsync has no --all-tenants: not measured")

    fleet = best_of(3, lambda: cli_plan(FLEET_PATTERN))
    if not fleet.ok:
        fail("dbsync plan --schema '%s' exit %d: %s"
             % (FLEET_PATTERN, fleet.rc, tail(fleet.out, 3)))
    else:
        print("  dbsync plan --schema '%s': %s" % (FLEET_PATTERN, fleet), flush=True)
        rows.append(("dbsync plan --schema '%s'" % FLEET_PATTERN, fleet))
    for what, r in rows:
        if r.wall >= CHECK_LIMIT_S and n >= 1000:
            fail("%s took %.1f s (goal: under %.0f s)" % (what, r.wall, CHECK_LIMIT_S))

    loop = None
    if not args.skip_baselines:
        before = server.cpu()
        loop = loop_runs(cli_plan, [first] + rest, args.loop_budget)
        loop.server_cpu = server.cpu() - before
        print("  loop, one `dbsync plan --schema X` per schema: %d of %d schemas: %s"
              % (loop.ran, n, loop), flush=True)
        compare(rows, mig, loop, n)
    else:
        print("  (--skip-baselines: neither migrate_schemas nor the loop measured)")

    print("\n2. catalog round trips", flush=True)
    round_trips(cli_plan, project, first, work)

    print("\n3. apply one missing column to every schema (load %s)" % load(), flush=True)
    apply_jobs(server, db, cli, desired, url, [first] + rest)

    server.psql("dbsync_test", "DROP DATABASE %s" % db)
    print("\n4. growth: %s schemas x %d tables (load %s)"
          % (",".join(map(str, growth)), args.growth_tables, load()), flush=True)
    grow(server, cli, first, dump, growth, args.growth_tables, growth_desired)


class Loop:
    """Today's way: one `dbsync plan --schema X` process per schema, until the budget
    is spent: its wall seconds, the processes' CPU, the schemas it reached."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.ran = 0
        self.server_cpu = None

    def __str__(self):
        return "%8.2f s wall %8.2f s cpu %8.2f s server cpu" % (self.wall, self.cpu, self.server_cpu)


def loop_runs(cli_plan, schemas, budget):
    loop = Loop()
    t0 = time.monotonic()
    for s in schemas:
        r = cli_plan(s, measured=False)
        loop.cpu += r.cpu
        loop.ran += 1
        if not r.ok:
            fail("dbsync plan --schema %s exit %d: %s" % (s, r.rc, tail(r.out, 3)))
            break
        if time.monotonic() - t0 > budget:
            break
    loop.wall = time.monotonic() - t0
    return loop


def compare(rows, mig, loop, n):
    """The side-by-side table: wall clock, and CPU (the process's own plus the
    server's for its connections, which the machine's other work moves much less)."""
    def total(r):
        return r.cpu + r.server_cpu
    scale = n / loop.ran   # the loop extrapolated to every schema when it stopped early
    print("\n   | run | wall | cpu (process + server) | wall: vs migrate_schemas, vs the loop"
          " | cpu: vs migrate_schemas, vs the loop |")
    print("   |---|---|---|---|---|")
    print("   | django-tenants `migrate_schemas` (no-op) | %.1f s | %.1f + %.1f s | | |"
          % (mig.wall, mig.cpu, mig.server_cpu))
    print("   | %d x `dbsync plan --schema X`%s | %.1f s | %.1f + %.1f s | | |"
          % (loop.ran, "" if loop.ran == n else " (times %.1f for all %d)" % (scale, n), loop.wall,
             loop.cpu, loop.server_cpu))
    for what, r in rows:
        print("   | %s | %.2f s | %.2f + %.2f s | %.1fx, %.1fx faster | %.1fx, %.1fx less |"
              % (what, r.wall, r.cpu, r.server_cpu, mig.wall / r.wall, loop.wall * scale / r.wall,
                 total(mig) / total(r), total(loop) * scale / total(r)))
    print("   (load at the end: %s)" % load(), flush=True)


def report_queries(path):
    """(members, catalog queries) of a fleet's JSON report."""
    with open(path) as f:
        fleet = json.load(f)["fleet"]
    return fleet["members"], fleet["catalog_queries"]


def round_trips(cli_plan, project, first, work):
    """The catalog round trips of the whole fleet and of one schema: the CLI's fleet
    report for every tenant and for one (a pattern only it matches), the dbsync
    command's fleet reports (the tenants' group and the public schema's), and its
    count for a run on one schema (-v 2)."""
    counts = []
    for what, pattern in (("dbsync plan --schema '%s'" % FLEET_PATTERN, FLEET_PATTERN),
                          ("dbsync plan --schema '%s[%s]'" % (first[:-1], first[-1]),
                           "%s[%s]" % (first[:-1], first[-1]))):
        path = os.path.join(work, "report.json")
        r = cli_plan(pattern, "--report-json", path)
        if not r.ok:
            fail("%s --report-json exit %d: %s" % (what, r.rc, tail(r.out, 3)))
            continue
        counts.append((what,) + report_queries(path))
    reports = os.path.join(project.dir, "dbsync_reports")
    shutil.rmtree(reports, ignore_errors=True)
    r = project.manage("dbsync", "--all-tenants", "--check", "--report", "json")
    if not r.ok:
        fail("manage.py dbsync --all-tenants --check --report json exit %d: %s" % (r.rc, tail(r.out, 3)))
    else:
        for name in sorted(os.listdir(reports)):
            if name.endswith(".json"):
                counts.append(("manage.py dbsync --all-tenants, report %s" % name,)
                              + report_queries(os.path.join(reports, name)))
    r = project.manage("dbsync", "--check", "-v", "2", ok=(0, 1))
    if catalog_queries(r.out) is None:
        fail("manage.py dbsync --check -v 2 prints no catalog queries (exit %d)" % r.rc)
    else:
        counts.append(("manage.py dbsync --check (one schema, not a fleet)", 1, catalog_queries(r.out)))
    for what, members, queries in counts:
        print("  %-60s %5d schema(s): %d catalog queries" % (what, members, queries), flush=True)
    if len({q for _, _, q in counts}) > 1:
        fail("the catalog queries differ between the fleet and one schema: %s"
             % ", ".join("%d for %d" % (q, m) for _, m, q in counts))


def drop_column(server, db, schemas):
    server.psql(db, "".join("ALTER TABLE %s.benchapp_m0 DROP COLUMN IF EXISTS price;\n" % s for s in schemas))


def apply_jobs(server, db, cli, desired, url, schemas):
    """Every schema lacks benchapp_m0.price; apply with --jobs 1, then again with 4."""
    times = {}
    for jobs in (1, 4):
        drop_column(server, db, schemas)
        r = run([cli, "apply", "--desired", desired, "--db", url, "--schema", FLEET_PATTERN,
                 "--auto-approve", "--jobs", str(jobs)], server=server)
        after = run([cli, "plan", "--desired", desired, "--db", url, "--schema", FLEET_PATTERN])
        if not r.ok or not after.ok:
            fail("apply --jobs %d exit %d, plan after it exit %d: %s"
                 % (jobs, r.rc, after.rc, tail(r.out if not r.ok else after.out, 3)))
            continue
        times[jobs] = r.wall
        print("  dbsync apply --schema '%s' --jobs %d: %s (all converged)" % (FLEET_PATTERN, jobs, r),
              flush=True)
    if len(times) == 2:
        print("  --jobs 4 against --jobs 1: %.2fx as fast (load %s)" % (times[1] / times[4], load()))


def grow(server, cli, first, dump, sizes, tables, desired):
    """The fleet CLI over growing fleets of `tables`-table schemas in a database of
    their own; each size in a fresh process (peak RSS is per process)."""
    db = "bench_growth"
    server.psql("dbsync_test", "CREATE DATABASE %s" % db)
    template = "g_00000"
    # The first `tables` models, cloned from the tenant dump: its tables and sequences
    # only, through a scratch restore (pg_dump's --table keeps indexes and constraints).
    server.psql(db, re.sub(r"\b%s\b" % first, template, dump))
    keep = {"benchapp_m%d" % i for i in range(tables)}
    extra = server.psql(db, "SELECT tablename FROM pg_tables WHERE schemaname = '%s'" % template,
                        capture=True).split()
    server.psql(db, "".join("DROP TABLE %s.%s CASCADE;\n" % (template, t) for t in extra if t not in keep))
    small_dump = server.dump_schema(db, template)
    url = server.url(db)
    have = 1
    results = []
    for size in sizes:
        clone(server, db, small_dump, template, tenant_names("g_", have, size))
        have = max(have, size)
        best = None
        for _ in range(2):
            r = run([cli, "plan", "--desired", desired, "--db", url, "--schema", GROWTH_PATTERN],
                    server=server)
            if not r.ok:
                fail("dbsync plan --schema '%s' at %d schemas exit %d: %s"
                     % (GROWTH_PATTERN, size, r.rc, tail(r.out, 3)))
                return
            best = r if best is None or r.cpu < best.cpu else best
        results.append((size, best))
        print("  %5d schemas: %s  (%.2f ms cpu, %.1f KB rss per schema; load %s)"
              % (size, best, best.cpu * 1000 / size, best.rss * 1024 / size, load()), flush=True)
    for i in range(1, len(results)):
        (n0, a), (n1, b) = results[i - 1], results[i]
        print("  step %d -> %d: per added schema %.3f ms cpu, %.3f ms wall, %.1f KB rss"
              % (n0, n1, (b.cpu - a.cpu) * 1000 / (n1 - n0), (b.wall - a.wall) * 1000 / (n1 - n0),
                 (b.rss - a.rss) * 1024 / (n1 - n0)))
    if len(results) >= 3:
        (n0, a), (n1, b) = results[0], results[1]
        (m0, c), (m1, d) = results[-2], results[-1]
        for what, first_step, last_step in (
                ("cpu", (b.cpu - a.cpu) / (n1 - n0), (d.cpu - c.cpu) / (m1 - m0)),
                ("rss", (b.rss - a.rss) / (n1 - n0), (d.rss - c.rss) / (m1 - m0))):
            if first_step <= 0:
                print("  %s per added schema: no growth in the first step, %.4f per schema in the last"
                      % (what, last_step))
                continue
            ratio = last_step / first_step
            print("  %s per added schema, last step against first: %.2fx (limit %.1fx)"
                  % (what, ratio, GROWTH_LIMIT))
            if ratio > GROWTH_LIMIT:
                fail("%s per added schema grew %.2fx from the first step to the last" % (what, ratio))


if __name__ == "__main__":
    sys.exit(main())
