"""List options as django-dbsync 1.x takes them, and as this app took them before.

`--exclude-apps admin auth`, `--exclude-apps admin,auth` and
`--exclude-apps admin --exclude-apps auth` all mean the same two apps:
space-separated values (1.x's nargs='*'), comma-separated values, and repeated
options. For patterns (Python regular expressions) a comma splits only outside
(), [] and {}, so `a{1,3}` and `[,;]` stay whole.
"""


def add_list_option(parser, *flags, metavar, help):
    parser.add_argument(*flags, nargs="*", action="extend", metavar=metavar, help=help)


def _values(values):
    if values is None:
        return []
    if isinstance(values, str):  # call_command(exclude_apps="a,b")
        return [values]
    return list(values)


def split_names(values):
    """Labels or table names: every value split at commas."""
    items = []
    for value in _values(values):
        items.extend(part.strip() for part in str(value).split(",") if part.strip())
    return items


def split_patterns(values):
    """Regular expressions: every value split at the commas outside brackets."""
    items = []
    for value in _values(values):
        items.extend(part for part in _split_top_level(str(value)) if part)
    return items


_OPEN, _CLOSE = "([{", ")]}"


def _split_top_level(text):
    parts, depth, current, escaped = [], 0, [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch in _OPEN:
            depth += 1
            current.append(ch)
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
            current.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts
