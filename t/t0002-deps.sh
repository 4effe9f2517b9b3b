#!/bin/sh
# make deps (scripts/deps.sh): nothing to do when every package is there; as a non-root
# user with a package missing, it prints the exact apt-get command and fails.
. "$(dirname "$0")/lib.sh"

all_there() {
	printf '# comment\nzlib1g-dev\n\nlibdw-dev\n' >"$TRASH/pk"
	sh "$FK_ROOT/scripts/deps.sh" "$TRASH/pk" >"$TRASH/out" 2>&1
	[ ! -s "$TRASH/out" ]
}
test_ok "installed packages: silent success" all_there

as_user() {
	printf 'zlib1g-dev\nflamekit-no-such-package\n' >"$TRASH/pk"
	chmod 755 "$TRASH"
	chmod 644 "$TRASH/pk"
	rc=0
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- sh "$FK_ROOT/scripts/deps.sh" "$TRASH/pk" >"$TRASH/out" 2>&1 || rc=$?
	else
		sh "$FK_ROOT/scripts/deps.sh" "$TRASH/pk" >"$TRASH/out" 2>&1 || rc=$?
	fi
	[ "$rc" -ne 0 ]
	contains "$TRASH/out" "run: sudo apt-get update && sudo apt-get install -y flamekit-no-such-package"
}
test_ok "a missing package as a non-root user: the exact command, and failure" as_user

done_testing
