"""The dialect seam guard behind scripts/check-seam.sh (make check-seam).

Issue 13 promises two things this checks on the tree as it is:

1. The dialect-neutral core (the .c and .h files directly in engine/src) names
   no dialect; only registry.c may. A file in one dialect folder names no
   other dialect.
2. Adding a dialect touches its own folder and a short, known list of files
   outside it. Every file outside engine/src/<d>/ that names dialect <d> is
   listed per dialect, must be of a kind the checklist (docs/adding-a-dialect.md)
   names, and the files outside the folders that name EVERY dialect (the
   lists a new dialect adds a line to) must be exactly EVERY_DIALECT below.

Everything it knows of a dialect it reads from the tree, so a new dialect
needs no line here. A dialect is a folder engine/src/<d>/ holding
dialect_<d>.c; from the folder it reads:
- its constants: DBSYNC_DIALECT_X (the `.dialect =` of dialect_<d>.c) and
  DBSYNC_HAVE_X (the -D its meson.build adds);
- its private headers: every .h in the folder;
- its functions and data: the external symbols its object files define
  (nm, from the build directory: the build must have every backend, which
  its compile commands tell by the -DDBSYNC_HAVE_X);
- its names: `.name` and `.aliases` in dialect_<d>.c (also Django's vendor);
- its build switches: the folder's name as a quoted meson word or a -D<d>=
  option, and the dependency variables its meson.build assigns
  (`x = ... dependency(...)`, its client library);
- its test server: the scripts/*-server.sh that prints a URL of its name.

What counts as naming dialect <d>, by kind of file (comments never count):
- C (.c, .h): a constant, an #include of a private header, a symbol;
- meson.build, meson_options.txt: the folder's name quoted, a dependency
  variable, the server script's file name;
- shell scripts, Makefile, .ci/run: a name as a word, the server script's
  file name, -D<d>=;
- Python: a string constant equal to a name, or holding the server script's
  file name;
- tests/cases/<d>/: its data cases, counted as one entry;
- anything else (docs, data, prose): nothing.
Client libraries (never in the core): an #include of a header the core does
not allow (ALLOWED_SYSTEM_HEADERS) and a call of sqlite3_*, PQ*, mysql_*.
"""
import ast
import fnmatch
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = "engine/src"

# Files outside the dialect folders that may name a dialect, each with why.
# A file naming a dialect that matches none of these fails the check.
EXPECTED = [
    ("engine/src/registry.c", "the registry line (data table and backend)"),
    ("engine/include/dbsync/common.h", "the public enum value"),
    ("engine/src/meson.build", "the foreach list of dialect folders"),
    ("meson_options.txt", "the build option enabling the backend (Meson reads options only at the root)"),
    ("scripts/*-server.sh", "its throwaway test server"),
    ("scripts/with-test-servers.sh", "starts each test server once for the C suite"),
    ("scripts/test-matrix.sh", "server versions for make test-matrix (optional)"),
    ("scripts/servers.sh", "server versions for make test-matrix (optional)"),
    ("tests/cases/*", "its data cases"),
    ("tests/*", "its tests"),
    ("bench/*", "benchmarks (optional)"),
    ("examples/*", "the example project (optional)"),
    ("django_dbsync/engine.py", "Django glue: each Django backend's settings and OPTIONS to connection parameters"),
    ("django_dbsync/absent_sqlite.py", "Django glue: Python's sqlite3 creates a missing file"),
    ("django_dbsync/backup.py", "decides backup file and tool from the vendor (issue 13: to ask the engine)"),
    ("django_dbsync/mysql.py", "decides that DDL autocommits from the vendor (issue 13: to ask the engine)"),
]

# The files outside the dialect folders that name every dialect: a new
# dialect adds a line to each. Exactly these, neither more nor fewer (tests,
# benchmarks and examples are not counted: a new dialect adds its own).
EVERY_DIALECT = [
    "engine/src/registry.c",
    "engine/include/dbsync/common.h",
    "engine/src/meson.build",
    "meson_options.txt",
    "django_dbsync/engine.py",
]
NOT_COUNTED_IN_EVERY = ("tests/", "bench/", "examples/")

# What the core may include with <...>: C11, POSIX and jansson. Anything
# else there is a client library's (or another dependency the core lacks).
ALLOWED_SYSTEM_HEADERS = set("""
assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h
locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h
stddef.h stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h threads.h
time.h uchar.h wchar.h wctype.h
dirent.h fcntl.h fnmatch.h glob.h poll.h pthread.h regex.h sched.h spawn.h strings.h
syslog.h termios.h unistd.h sys/mman.h sys/resource.h sys/select.h
sys/socket.h sys/stat.h sys/time.h sys/types.h sys/uio.h sys/wait.h
jansson.h
""".split())
CLIENT_CALL = re.compile(r"\b(sqlite3_\w+|PQ[a-z]\w*|mysql_\w+)\s*\(")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def strip_c_comments(text):
    """The text with /* */ and // comments blanked, lines kept in place;
    string and character literals are left as they are."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_hash_comments(text):
    """Shell, make and meson: a # at the start of a word begins a comment."""
    return "\n".join(re.sub(r"(^|\s)#.*", r"\1", line) for line in text.split("\n"))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        return f.read()


class Dialect:
    def __init__(self, folder, build_dir, objects, macros):
        self.folder = folder
        self.dir = f"{SRC}/{folder}"
        table = read(f"{self.dir}/dialect_{folder}.c")
        m = re.search(r"\.dialect\s*=\s*(DBSYNC_DIALECT_\w+)", table)
        if not m:
            sys.exit(f"check-seam: {self.dir}/dialect_{folder}.c sets no .dialect = DBSYNC_DIALECT_...")
        self.constants = {m.group(1)}
        build = read(f"{self.dir}/meson.build")
        self.constants |= set(re.findall(r"-D(DBSYNC_HAVE_\w+)", build))
        self.names = set(re.findall(r'\.name\s*=\s*"([^"]+)"', table))
        aliases = re.search(r"aliases\[\]\s*=\s*\{([^}]*)\}", table)
        if aliases:
            self.names |= set(re.findall(r'"([^"]+)"', aliases.group(1)))
        # the variables it assigns a dependency() (its client library); not
        # every x.found() it tests: `py` (the Python extension) is everyone's
        self.dep_vars = set(re.findall(r"^\s*(\w+)\s*=.*\bdependency\(", strip_hash_comments(build), re.M))
        self.headers = {f for f in os.listdir(os.path.join(ROOT, self.dir)) if f.endswith(".h")}
        self.sources = sorted(f"{self.dir}/{f}" for f in os.listdir(os.path.join(ROOT, self.dir))
                              if f.endswith(".c"))
        missing = {c for c in self.constants if c.startswith("DBSYNC_HAVE_")} - macros
        if missing:
            sys.exit(f"check-seam: {build_dir} has no {folder} backend (no -D{min(missing)}): build with "
                     "every backend first (make build)")
        self.symbols = set()
        for src in self.sources:
            obj = objects.get(src)
            if obj is None:
                continue  # compiled only under another build option (mysql/bundled_path.c: wheel builds)
            nm = subprocess.run(["nm", "-g", "--defined-only", "-P", obj], capture_output=True,
                                text=True, check=True).stdout
            self.symbols |= {line.split()[0] for line in nm.splitlines() if line.strip()}
        self.server_script = None
        for s in sorted(os.listdir(os.path.join(ROOT, "scripts"))):
            if s.endswith("-server.sh") and any(
                    re.search(r'echo\s+"' + re.escape(n) + "://", read(f"scripts/{s}")) for n in self.names):
                self.server_script = s
        self.word = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(self.names))) + r")(?![\w])")
        self.c_word = re.compile(r"\b(" + "|".join(map(re.escape, sorted(self.constants | self.symbols))) + r")\b")


def objects_of(build_dir):
    """(source path -> object file, the macros any file was compiled with),
    from compile_commands.json. Paths are relative to the build's own source
    root, so a copy of the tree (its test, tests/tools) can be checked with
    the build of the original."""
    path = os.path.join(build_dir, "compile_commands.json")
    info = os.path.join(build_dir, "meson-info", "meson-info.json")
    if not os.path.exists(path) or not os.path.exists(info):
        sys.exit(f"check-seam: no {path}: build first (make build)")
    source_root = json.load(open(info))["directories"]["source"]
    objects, macros = {}, set()
    for e in json.load(open(path)):
        src = os.path.relpath(os.path.normpath(os.path.join(e["directory"], e["file"])), source_root)
        objects[src] = os.path.join(e["directory"], e["output"])
        macros |= set(re.findall(r"-D(\w+)", e.get("command", " ".join(e.get("arguments", [])))))
    return objects, macros


def mentions(path, text, d):
    """(line number, what) for each place `path` names dialect d."""
    found = []
    base = os.path.basename(path)
    ext = os.path.splitext(path)[1]
    if ext in (".c", ".h"):
        raw = text.split("\n")
        for no, line in enumerate(strip_c_comments(text).split("\n"), 1):
            m = INCLUDE.match(raw[no - 1])
            if m and os.path.basename(m.group(2)) in d.headers:
                found.append((no, f"includes {m.group(2)}"))
                continue
            for w in sorted(set(d.c_word.findall(line))):
                found.append((no, w))
    elif base in ("meson.build", "meson_options.txt"):
        words = {f"'{d.folder}'"} | set(d.dep_vars)
        if d.server_script:
            words.add(d.server_script)
        pat = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(words))) + r")(?![\w-])")
        for no, line in enumerate(strip_hash_comments(text).split("\n"), 1):
            for w in sorted(set(pat.findall(line))):
                found.append((no, w))
    elif ext == ".sh" or base == "Makefile" or path == ".ci/run":
        opt = re.compile(r"-D" + re.escape(d.folder) + "=")
        for no, line in enumerate(strip_hash_comments(text).split("\n"), 1):
            hits = set(d.word.findall(line)) | set(opt.findall(line))
            if d.server_script and d.server_script in line:
                hits.add(d.server_script)
            for w in sorted(hits):
                found.append((no, w))
    elif ext == ".py":
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return [(0, "not Python 3 (cannot read)")]
        # a string standing alone as a statement (a docstring) is prose
        prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
                if node.value in d.names:
                    found.append((node.lineno, repr(node.value)))
                elif d.server_script and d.server_script in node.value:
                    found.append((node.lineno, repr(d.server_script)))
    return sorted(set(found))


def client_library_uses(path, text):
    found = []
    raw = text.split("\n")
    for no, line in enumerate(strip_c_comments(text).split("\n"), 1):
        m = INCLUDE.match(raw[no - 1])
        if m and m.group(1) == "<" and m.group(2) not in ALLOWED_SYSTEM_HEADERS:
            found.append((no, f"includes <{m.group(2)}>"))
        for call in CLIENT_CALL.findall(line):
            found.append((no, f"{call}(): a client library's prefix"))
    return found


def expected_why(path):
    for pattern, why in EXPECTED:
        if fnmatch.fnmatch(path, pattern):
            return why
    return None


def main(argv):
    global ROOT
    if len(argv) > 1 and argv[0] == "--root":
        ROOT = os.path.abspath(argv[1])
        argv = argv[2:]
    if len(argv) > 1:
        sys.exit("usage: check-seam.sh [--root DIR] [BUILD_DIR]")
    build_dir = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build/c"))
    objects, macros = objects_of(build_dir)
    folders = sorted(f for f in os.listdir(os.path.join(ROOT, SRC))
                     if os.path.isfile(os.path.join(ROOT, SRC, f, f"dialect_{f}.c")))
    dialects = [Dialect(f, build_dir, objects, macros) for f in folders]
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    files = sorted(f for f in files if f and os.path.isfile(os.path.join(ROOT, f)))
    texts = {}
    problems = []

    # 1. the core names no dialect and calls no client library; a folder names no other dialect
    core = [f for f in files if os.path.dirname(f) == SRC and f.endswith((".c", ".h"))]
    for f in core:
        if f == f"{SRC}/registry.c":
            continue
        texts[f] = read(f)
        for d in dialects:
            for no, what in mentions(f, texts[f], d):
                problems.append(f"{f}:{no}: names {d.folder} ({what}) outside {d.dir}/")
        for no, what in client_library_uses(f, texts[f]):
            problems.append(f"{f}:{no}: {what}, outside the dialect folders")
    for d in dialects:
        for f in files:
            if f.startswith(d.dir + "/") and f.endswith((".c", ".h")):
                text = read(f)
                for other in dialects:
                    if other is d:
                        continue
                    for no, what in mentions(f, text, other):
                        problems.append(f"{f}:{no}: names {other.folder} ({what}) inside {d.dir}/")

    # 2. who names each dialect outside its folder, and whether the checklist expects it
    named_by = {}
    print("Files outside engine/src/<d>/ that name each dialect (constants, private headers,")
    print("symbols, names, build switches, server script; see scripts/check_seam.py):")
    for d in dialects:
        cases = [f for f in files if f.startswith(f"tests/cases/{d.folder}/")]
        named_by[d.folder] = set()
        print(f"\n{d.folder}: {', '.join(sorted(d.constants))}; names {', '.join(sorted(d.names))}; "
              f"{len(d.headers)} private headers, {len(d.symbols)} symbols; "
              f"test server {('scripts/' + d.server_script) if d.server_script else 'none'}")
        for f in files:
            if f.startswith(d.dir + "/") or f in cases:
                continue
            if f not in texts:
                texts[f] = read(f)
            hits = mentions(f, texts[f], d)
            if not hits:
                continue
            named_by[d.folder].add(f)
            why = expected_why(f)
            where = sorted({w for _, w in hits})
            where = ", ".join(where[:3]) + (", ..." if len(where) > 3 else "")
            if f in core and f != f"{SRC}/registry.c":
                why = "NOT EXPECTED: the core (listed below)"
            elif any(f.startswith(o.dir + "/") for o in dialects):
                why = "NOT EXPECTED: another dialect's folder (listed below)"
            print(f"  {f} ({len(hits)}: {where}): {why or 'NOT EXPECTED'}")
            if why is None:
                problems.append(f"{f}:{hits[0][0]}: names {d.folder} ({hits[0][1]}) and is not in "
                                "the expected set (scripts/check_seam.py EXPECTED)")
        print(f"  tests/cases/{d.folder}/ ({len(cases)} files): its data cases")
        outside = [f for f in named_by[d.folder] if not f.startswith(NOT_COUNTED_IN_EVERY)]
        print(f"  => {len(outside)} files outside tests/, bench/ and examples/, "
              f"{len(named_by[d.folder]) - len(outside)} in them")

    every = set.intersection(*named_by.values()) if named_by else set()
    every = {f for f in every if not f.startswith(NOT_COUNTED_IN_EVERY)}
    print(f"\nA new dialect: its folder, tests/cases/<d>/, its scripts/*-server.sh and tests, "
          f"and a line in each of these {len(every)} files (they name every dialect):")
    for f in sorted(every):
        print(f"  {f}")
    for f in sorted(every - set(EVERY_DIALECT) - set(core)):
        problems.append(f"{f}: names every dialect but is not in EVERY_DIALECT (scripts/check_seam.py)")
    for f in sorted(set(EVERY_DIALECT) - every):
        problems.append(f"{f}: in EVERY_DIALECT but no longer names every dialect: drop it "
                        "there and in docs/adding-a-dialect.md")

    if problems:
        print(f"\ncheck-seam: {len(problems)} problems:")
        def order(p):
            f, _, rest = p.partition(":")
            no = rest.split(":", 1)[0]
            return (f, int(no) if no.isdigit() else 0)
        for p in sorted(problems, key=order):
            print(f"  {p}")
        return 1
    print("\ncheck-seam: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
