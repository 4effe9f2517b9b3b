# lib.sh: TAP helpers for the end-to-end tests (sourced by every t/t*.sh).
#   test_ok "description" command args...   passes when the command exits 0
#   test_skip "description" "reason"
#   done_testing                            prints the plan
# The command runs in a subshell with `set -e` (every command in it must succeed); its
# output goes to $TRASH/log, shown (as TAP comments) when it fails. $FK is the flamekit binary, $TRASH a scratch dir.
set -u
FK_ROOT=${FK_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
FK_BUILD=${FK_BUILD:-$FK_ROOT/build}
FK="$FK_BUILD/flamekit"
FK_FIXTURES=${FK_FIXTURES:-$FK_BUILD/fixtures}
FK_COMPAT=${FK_COMPAT:-$(cd "$FK_ROOT/.." && pwd)/shared/compat}
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-test.XXXXXX")
SERVER_PIDS=""
trap 'for p in $SERVER_PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TRASH"' EXIT
test_count=0
test_failed=0

test_ok() {
	desc=$1
	shift
	test_count=$((test_count + 1))
	# A plain command, not inside if/&&/||: there the shell would ignore set -e and
	# only the check's last command would count.
	(set -e; "$@") >"$TRASH/log" 2>&1
	if [ $? -eq 0 ]; then
		echo "ok $test_count - $desc"
	else
		echo "not ok $test_count - $desc"
		sed 's/^/# /' "$TRASH/log" | head -n 40
		test_failed=$((test_failed + 1))
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # skip $2"
}

done_testing() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# fails (non-zero) unless the two files are identical, showing the first differences
same_file() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | head -n 20
		return 1
	fi
}

# fails unless file $1 contains the fixed string $2
contains() {
	if ! grep -qF -- "$2" "$1"; then
		echo "'$1' does not contain '$2':"
		head -c 2000 "$1"
		return 1
	fi
}

# Starts `flamekit serve` on a free loopback port with the given options (--db ...), in
# the background; sets SERVER_PID, SERVER_URL (http://127.0.0.1:PORT) and SERVER_LOG. It
# is killed when the script exits (stop it earlier with stop_server). Call it outside
# test_ok, whose subshell would lose the variables.
start_server() {
	SERVER_LOG=$TRASH/server.$(date +%s%N).log
	"$FK" serve --listen 127.0.0.1:0 "$@" 2>"$SERVER_LOG" &
	SERVER_PID=$!
	SERVER_PIDS="$SERVER_PIDS $SERVER_PID"
	_tries=0
	while ! grep -q 'listening on' "$SERVER_LOG" 2>/dev/null; do
		_tries=$((_tries + 1))
		if [ $_tries -gt 1500 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "# flamekit serve did not start:" && sed 's/^/# /' "$SERVER_LOG"
			return 1
		fi
		sleep 0.02
	done
	SERVER_URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$SERVER_LOG" | head -n 1)
}

# Stops the server started last with SIGTERM and waits for it; returns its exit status.
stop_server() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	_rc=0
	wait "$SERVER_PID" || _rc=$?
	return $_rc
}
