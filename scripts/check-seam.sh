#!/bin/sh
# The dialect seam guard (make check-seam; docs/adding-a-dialect.md): fails,
# listing file:line, when the dialect-neutral core in engine/src names a
# dialect (constants, a dialect folder's headers or functions, a client
# library) anywhere but registry.c, or a dialect folder names another; and
# prints, per dialect, the files outside its folder that name it, failing on
# one the checklist does not expect. scripts/check_seam.py says exactly what
# it counts.
#
#   scripts/check-seam.sh [--root DIR] [BUILD_DIR]
#       BUILD_DIR: default build/c, from `make build` (the folders' symbols
#       are read from their object files with nm); --root: check a copy of
#       the tree in DIR instead of this one (its test does)
#
# Exit codes: 0 the seam holds, 1 it does not (the list says where).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$root/scripts/check_seam.py" "$@"
