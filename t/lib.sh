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
PG_DIR=""
trap 'for p in $SERVER_PIDS; do kill -9 "$p" 2>/dev/null; done; stop_postgres; rm -rf "$TRASH"' EXIT
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

# Starts a throwaway PostgreSQL server (Debian's packages: /usr/lib/postgresql/*/bin) on a
# free loopback port: initdb into a new directory, one superuser "flamekit" trusted on
# 127.0.0.1 only, fsync on, the unix socket in that directory. Sets PG_URL
# (postgresql://flamekit@127.0.0.1:PORT/postgres), PG_PORT, PG_BIN and PG_DIR; stopped
# (and removed) when the script exits, or earlier by stop_postgres. PostgreSQL refuses to
# run as root, so under root it runs as the system user postgres. Returns 1 with the
# reason in PG_SKIP when it cannot run here (binaries absent, root without a postgres
# user). Call it outside test_ok, like start_server.
start_postgres() {
	PG_SKIP=""
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
		PG_SKIP="PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)"
		return 1
	fi
	_pg_as=""
	if [ "$(id -u)" -eq 0 ]; then
		if ! id postgres >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; then
			PG_SKIP="running as root, and there is no postgres user (or runuser) to run PostgreSQL as"
			return 1
		fi
		_pg_as="runuser -u postgres --"
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-pg.XXXXXX")
	[ -z "$_pg_as" ] || chown postgres "$PG_DIR"
	chmod 700 "$PG_DIR"
	if ! (cd / && $_pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U flamekit --auth=trust \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$TRASH/initdb.log" 2>&1); then
		PG_SKIP="initdb failed: $(tail -n 3 "$TRASH/initdb.log" | tr '\n' ' ')"
		return 1
	fi
	# A free port: the kernel's pick for a socket bound to port 0 (retried if taken since).
	for _pg_try in 1 2 3 4 5; do
		PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		_pg_opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=on -c synchronous_commit=on -c shared_buffers=32MB -c max_connections=100"
		if (cd / && $_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 120 \
			-o "$_pg_opts" start >"$TRASH/pg_ctl.log" 2>&1); then
			PG_URL=postgresql://flamekit@127.0.0.1:$PG_PORT/postgres
			return 0
		fi
		grep -q 'already in use' "$PG_DIR/server.log" 2>/dev/null || break
	done
	PG_SKIP="the PostgreSQL server did not start: $(tail -n 3 "$PG_DIR/server.log" 2>/dev/null | tr '\n' ' ')"
	echo "# $PG_SKIP"
	return 1
}

# Restarts the PostgreSQL server of start_postgres (fast shutdown: its clients are cut off).
restart_postgres() {
	(cd / && $_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 120 \
		-m fast -o "$_pg_opts" restart) >"$TRASH/pg_ctl.log" 2>&1
}

# Stops the PostgreSQL server of start_postgres at once and removes its directory.
stop_postgres() {
	[ -n "${PG_DIR:-}" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		(cd / && ${_pg_as:-} "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop) >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_DIR"
	PG_DIR=""
}

# pg_sql SQL [DB]: runs SQL on the start_postgres server's database DB (default: PG_URL's);
# prints the rows unaligned, without headers.
pg_sql() {
	_pg_url=$PG_URL
	[ $# -lt 2 ] || _pg_url=${PG_URL%/*}/$2
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$_pg_url" -c "$1"
}

# ---- the known-share workload (tests/fixtures/rec_shares.c) ----

# stack_stats FILE: prints "TOTAL MAIN W60 W30 W10" for the folded stacks in FILE: the
# samples of all stacks, of the stacks with a frame `main`, and of those with a frame
# work_60 (work_30, work_10) below main. Counts are summed as floating point (mawk's %d
# stops at 2^31).
stack_stats() {
	awk '{
		n = $NF; st = $0; sub(/ [0-9]+$/, "", st)
		k = split(st, f, ";"); m = 0; a = 0; b = 0; c = 0
		for (i = 1; i <= k; i++) {
			if (f[i] == "main") m = 1
			else if (m && f[i] == "work_60") a = 1
			else if (m && f[i] == "work_30") b = 1
			else if (m && f[i] == "work_10") c = 1
		}
		tot += n
		if (m) { mn += n; if (a) w60 += n; if (b) w30 += n; if (c) w10 += n }
	} END { printf "%.0f %.0f %.0f %.0f %.0f\n", tot, mn, w60, w30, w10 }' "$1"
}

# check_shares FILE [POINTS] [MIN]: work_60/30/10 take 60/30/10% (+-POINTS, default 3) of
# the samples under main, of which there are at least MIN (default 100).
check_shares() {
	stack_stats "$1" | awk -v tol="${2:-3}" -v min="${3:-100}" '{
		tot = $1; mn = $2
		if (mn < min) { printf "only %d samples under main (of %d)\n", mn, tot; exit 1 }
		s60 = 100 * $3 / mn; s30 = 100 * $4 / mn; s10 = 100 * $5 / mn
		printf "shares under main (%d samples): work_60 %.1f%%, work_30 %.1f%%, work_10 %.1f%%\n", mn, s60, s30, s10
		d = s60 - 60; if (d < 0) d = -d; if (d > tol) bad = 1
		d = s30 - 30; if (d < 0) d = -d; if (d > tol) bad = 1
		d = s10 - 10; if (d < 0) d = -d; if (d > tol) bad = 1
		exit bad
	}'
}
