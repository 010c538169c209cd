#!/usr/bin/env bash
# clang-format (.clang-format at the top, kernel-like) over every C/C++ source, as TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' 2>/dev/null || find . -name '*.[ch]' -o -name '*.[ch]pp')
echo "1..$(echo "$files" | wc -l)"
n=0
for f in $files; do
	n=$((n + 1))
	if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "ok $n formatted $f"
	else
		echo "not ok $n formatted $f"
		clang-format "$f" | diff -u "$f" - | sed -n '1,20s/^/# /p'
	fi
done
