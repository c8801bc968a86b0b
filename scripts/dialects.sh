#!/bin/sh
# The dialects of this tree, one folder name a line, sorted: every folder
# engine/src/<d>/ holding dialect_<d>.c (the rule scripts/check_seam.py uses
# too). The Makefile (BACKENDS) and scripts/wheel.sh enable each as
# -D<d>=enabled (the folder's name is its meson option, meson_options.txt),
# the Makefile's test-build-variants builds without each, and scripts/deps.sh
# installs each folder's debian-packages; so a new dialect's folder is found
# without a line in any of them.
set -eu
src=$(cd "$(dirname "$0")/../engine/src" && pwd)
for table in "$src"/*/dialect_*.c; do
	[ -e "$table" ] || continue
	d=$(basename "$(dirname "$table")")
	[ "$(basename "$table")" = "dialect_$d.c" ] && echo "$d"
done
