"""One table laid out for a person, like psql's \\d: `manage.py dbcheck --table NAME`.

Every fact comes from the engine (Connection.table_json, see
engine/include/dbsync/inspect.h); this module only lays it out: a column
table (type, collation, null, default, extra, comment: an optional column
appears only when some column has a value for it), then the primary key and
indexes, unique and check constraints, foreign keys, the row count and the size.
"""


def _q(name):
    return '"%s"' % name


def _cols(names):
    return "(" + ", ".join(names or ()) + ")"


def _grid(headers, rows):
    """psql's aligned format: ` a | b ` rows under a `---+---` rule."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells):
        return "|".join(f" {c.ljust(w)} " for c, w in zip(cells, widths)).rstrip()

    return [fmt(headers), "+".join("-" * (w + 2) for w in widths)] + [fmt(r) for r in rows]


def _extra(col):
    parts = []
    if col.get("generated"):
        parts.append(f"generated always as ({col['generated']})")
    if col.get("autoincrement"):
        parts.append("autoincrement")
    if col.get("on_update"):
        parts.append(f"on update {col['on_update']}")
    return ", ".join(parts)


_OPTIONAL = (  # header, value of a column; shown only when some column has one
    ("Collation", lambda c: c.get("collation") or ""),
    ("Extra", _extra),
    ("Comment", lambda c: c.get("comment") or ""),
)


def _column_rows(columns):
    optional = [(h, f) for h, f in _OPTIONAL if any(f(c) for c in columns)]
    headers = ["Column", "Type"] + [h for h, _ in optional[:1] if h == "Collation"] + ["Nullable", "Default"]
    headers += [h for h, _ in optional if h != "Collation"]
    rows = []
    for c in columns:
        cells = {"Column": c["name"], "Type": c.get("type") or "",
                 "Nullable": "" if c.get("null", True) else "not null",
                 "Default": "" if c.get("default") is None else str(c["default"])}
        cells.update({h: f(c) for h, f in optional})
        rows.append([cells[h] for h in headers])
    return headers, rows


def _index_line(index):
    parts = []
    for part in index.get("parts") or ():
        text = part.get("column") or part.get("expr") or "?"
        parts.append(text + (" DESC" if part.get("desc") else ""))
    words = [_q(index["name"])]
    if index.get("unique"):
        words.append("UNIQUE,")
    if index.get("method"):
        words.append(index["method"])
    words.append("(" + ", ".join(parts) + ")")
    if index.get("where"):
        words.append(f"WHERE {index['where']}")
    return " ".join(words)


def _fk_line(fk):
    line = (f"{_q(fk['name'])} FOREIGN KEY {_cols(fk.get('columns'))} "
            f"REFERENCES {fk.get('ref_table')}{_cols(fk.get('ref_columns'))}")
    for action in ("on_delete", "on_update"):
        value = fk.get(action)
        if value and value.upper() != "NO ACTION":
            line += f" {action.replace('_', ' ').upper()} {value}"
    return line


def _size(n):
    if n is None:
        return "unknown"
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            break
        n /= 1024
    text = f"{n:,} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
    return text


def _rows_text(data):
    """'1,200' counted, '~1,200 (estimate)' from the catalog, or 'unknown'."""
    n = data.get("rows")
    if not data.get("rows_estimated"):
        return "unknown" if n is None else f"{n:,}"
    if n is None:
        return "unknown (no estimate in the catalog; --exact-counts counts them)"
    return f"~{n:,} (estimate, {data.get('rows_method')})"


def lines(data):
    """The text lines for one table_json document."""
    kind = data.get("kind", "table")
    out = [f'{"View" if kind == "view" else "Table"} {_q(data.get("name", "?"))}']
    headers, rows = _column_rows(data.get("columns") or [])
    out += _grid(headers, rows)
    sections = []
    keys = []
    if data.get("primary_key"):
        keys.append(f"PRIMARY KEY {_cols(data['primary_key'])}")
    keys += [_index_line(i) for i in data.get("indexes") or ()]
    sections.append(("Indexes:", keys))
    sections.append(("Unique constraints:",
                     [f"{_q(u['name'])} UNIQUE {_cols(u.get('columns'))}" for u in data.get("unique") or ()]))
    sections.append(("Check constraints:",
                     [f"{_q(c['name'])} CHECK ({c.get('expr')})" for c in data.get("checks") or ()]))
    sections.append(("Foreign-key constraints:", [_fk_line(fk) for fk in data.get("foreign_keys") or ()]))
    for title, entries in sections:
        if entries:
            out.append(title)
            out += [f"    {e}" for e in entries]
    if data.get("comment"):
        out.append(f"Comment: {data['comment']}")
    out.append(f"Rows: {_rows_text(data)}")
    if kind != "view":
        method = f" ({data['size_method']})" if data.get("size_method") else ""
        exact = f", {data['bytes']:,} bytes" if data.get("bytes") and data["bytes"] >= 1024 else ""
        out.append(f"Size: {_size(data.get('bytes'))}{exact}{method}")
    return out
