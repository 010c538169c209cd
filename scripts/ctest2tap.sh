#!/usr/bin/env bash
# Turn ctest's per-test lines ("  3/12 Test  #3: Caps.Name ....   Passed  0.00 sec") into TAP.
set -euo pipefail
awk '
	/Test +#[0-9]+: / {
		name = $0; sub(/.*Test +#[0-9]+: /, "", name); sub(/ .*/, "", name)
		n++
		if ($0 ~ / Passed /) r[n] = "ok " n " " name
		else r[n] = "not ok " n " " name
	}
	END { print "1.." n; for (i = 1; i <= n; i++) print r[i]; if (n == 0) { print "1..1"; print "not ok 1 no unit tests ran" } }
' "$1"
