#!/usr/bin/env bash
# bench/serve.sh: how fast `flamekit serve` takes profiles in and renders a day of them.
# Starts a server on a fresh store (a temp dir) and measures, with tests/tools/fk-push.c:
#   (1) ingest: PROFILES folded profiles of STACKS distinct stacks each, POSTed to
#       /ingest by CLIENTS client threads (one series per client), every one answered
#       200 (acknowledged once on disk): profiles/s over the whole run; the same load then
#       goes to a server on PostgreSQL (a throwaway server on loopback, started as
#       t/lib.sh's start_postgres does: fsync on, synchronous commits), and the ratio of
#       the two rates is printed (skipped, saying why, when PostgreSQL cannot run here);
#   (2) render: a day of 10-second profiles of one app (DAY_WINDOWS = 8,640 profiles,
#       from times 10 s apart, pushed the same way), then GET /render?format=json over
#       that day, RUNS times: the median of curl's %{time_total} (and the first run's,
#       caches cold), with maxNodes=MAX_NODES and with maxNodes=0 (every node). Each answer's
#       numTicks is checked against the sum of every pushed count.
# Prints a Markdown table.
#
#   make build/flamekit build/tools/fk-push && ./bench/serve.sh
#
# Environment (defaults in brackets): FLAMEKIT [build/flamekit], FK_PUSH
# [build/tools/fk-push], CLIENTS [16], STACKS [1000], PROFILES [2000], DAY_WINDOWS [8640],
# RUNS [5], MAX_NODES [1024: what Pyroscope's UI asks for; empty: the server's default],
# BENCH_DIR [a temp dir, removed], PG [1; 0: no PostgreSQL run].
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/serve.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

FLAMEKIT=${FLAMEKIT:-build/flamekit}
FK_PUSH=${FK_PUSH:-build/tools/fk-push}
CLIENTS=${CLIENTS:-16}
STACKS=${STACKS:-1000}
PROFILES=${PROFILES:-2000}
DAY_WINDOWS=${DAY_WINDOWS:-8640}
RUNS=${RUNS:-5}
MAX_NODES=${MAX_NODES-1024}
PG=${PG:-1}

[ -x "$FLAMEKIT" ] || die "$FLAMEKIT not found; run \`make\` first"
[ -x "$FK_PUSH" ] || die "$FK_PUSH not found; run \`make $FK_PUSH\` first"
command -v curl >/dev/null || die "curl not found"

if [ -n "${BENCH_DIR:-}" ]; then
	dir=$BENCH_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d)
fi
# t/lib.sh's start_postgres / stop_postgres (it also makes a scratch dir, TRASH, and an
# EXIT trap, replaced below).
FK_ROOT=$root
. "$root/t/lib.sh"
server_pid=""
stop_serve() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}
cleanup() {
	stop_serve
	stop_postgres
	rm -rf "$TRASH"
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

# start_serve DSN: the server on a free port, compacting only when asked to (every hour),
# so the render reads the 8,640 windows as they were pushed; sets url.
start_serve() {
	"$FLAMEKIT" serve --listen 127.0.0.1:0 --db "$1" --compact-every 3600 2>"$dir/serve.err" &
	server_pid=$!
	local port=""
	for _ in $(seq 100); do
		port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$dir/serve.err")
		[ -n "$port" ] && break
		kill -0 "$server_pid" 2>/dev/null || die "the server died: $(cat "$dir/serve.err")"
		sleep 0.1
	done
	[ -n "$port" ] || die "the server did not say its port: $(cat "$dir/serve.err")"
	url=http://127.0.0.1:$port
	note "server at $url, store $1"
}

# The rate fk-push printed: "... in S s: R profiles/s".
push_rate() { sed -n 's#.* in \([0-9.]*\) s: \([0-9.]*\) profiles/s#\1 \2#p' "$1"; }

# (1) ingest, on PostgreSQL first (the SQLite server then stays up for the rest)
pg_line=""
if [ "$PG" = 1 ] && start_postgres; then
	start_serve "$PG_URL"
	note "ingest on PostgreSQL: $PROFILES profiles of $STACKS stacks by $CLIENTS clients"
	"$FK_PUSH" --url "$url" --clients "$CLIENTS" --profiles "$PROFILES" --stacks "$STACKS" \
		--app bench_ingest >"$dir/ingest_pg.out" || die "ingest (PostgreSQL): $(cat "$dir/ingest_pg.out")"
	read -r pg_secs pg_rate < <(push_rate "$dir/ingest_pg.out")
	stop_serve
	stop_postgres
elif [ "$PG" = 1 ]; then
	pg_line="| ingest on PostgreSQL | skipped: $PG_SKIP |"
else
	pg_line="| ingest on PostgreSQL | skipped (PG=0) |"
fi

start_serve "$dir/bench.db"
note "ingest on SQLite: $PROFILES profiles of $STACKS stacks by $CLIENTS clients"
"$FK_PUSH" --url "$url" --clients "$CLIENTS" --profiles "$PROFILES" --stacks "$STACKS" \
	--app bench_ingest >"$dir/ingest.out" || die "ingest: $(cat "$dir/ingest.out")"
read -r ingest_secs ingest_rate < <(push_rate "$dir/ingest.out")

# (2) a day of 10-second profiles, ending at the last midnight (UTC)
day_end=$(( $(date +%s) / 86400 * 86400 ))
day_start=$(( day_end - DAY_WINDOWS * 10 ))
note "day: $DAY_WINDOWS profiles from $day_start to $day_end"
"$FK_PUSH" --url "$url" --clients "$CLIENTS" --profiles "$DAY_WINDOWS" --stacks "$STACKS" \
	--app bench_day --from-base "$day_start" >"$dir/day.out" || die "day: $(cat "$dir/day.out")"
read -r day_secs day_rate < <(push_rate "$dir/day.out")
db_bytes=$(cat "$dir"/bench.db* | wc -c)

# What numTicks must be: fk-push's shared stacks count 1 + i % 7 (i < STACKS-1), plus 1
# for each profile's own stack.
per_profile=$(awk -v n="$STACKS" 'BEGIN { s = 1; for (i = 0; i + 1 < n; i++) s += 1 + i % 7; print s }')
want_ticks=$(( per_profile * DAY_WINDOWS ))

# Renders the day RUNS times with extra parameters $1; sets first (the first run, caches
# cold), median, json_bytes. Each answer's numTicks must be want_ticks.
render_day() {
	local times=() t ticks
	for _ in $(seq "$RUNS"); do
		t=$(curl -sS -f -o "$dir/day.json" -w '%{time_total}' \
			"$url/render?query=bench_day.cpu%7B%7D&from=$day_start&until=$day_end&format=json$1") ||
			die "render failed"
		times+=("$t")
		ticks=$(sed -n 's#.*"numTicks":\([0-9]*\).*#\1#p' "$dir/day.json")
		[ "$ticks" = "$want_ticks" ] || die "render$1: numTicks $ticks, want $want_ticks"
	done
	first=${times[0]}
	median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
	json_bytes=$(wc -c <"$dir/day.json")
}
render_day "${MAX_NODES:+&maxNodes=$MAX_NODES}"
limited="$median $first $json_bytes"
render_day "&maxNodes=0"
read -r lmedian lfirst lbytes <<<"$limited"

echo "| measurement | result |"
echo "|---|---|"
printf '| ingest: %d profiles of %d stacks, %d clients, POST /ingest (folded), SQLite | %s profiles/s (%s s) |\n' \
	"$PROFILES" "$STACKS" "$CLIENTS" "$ingest_rate" "$ingest_secs"
if [ -n "$pg_line" ]; then
	echo "$pg_line"
else
	printf '| the same on PostgreSQL (loopback, fsync on, synchronous commit) | %s profiles/s (%s s; %s x SQLite) |\n' \
		"$pg_rate" "$pg_secs" "$(awk -v a="$pg_rate" -v b="$ingest_rate" 'BEGIN { printf "%.2f", a / b }')"
fi
printf '| ingest of the day: %d profiles, same way | %s profiles/s (%s s) |\n' \
	"$DAY_WINDOWS" "$day_rate" "$day_secs"
awk -v b="$db_bytes" 'BEGIN { printf "| store after both | %.1f MB |\n", b / 1e6 }'
printf '| render the day (%d windows): /render format=json%s, median of %d | %.3f s (first run %.3f s; %d bytes) |\n' \
	"$DAY_WINDOWS" "${MAX_NODES:+ maxNodes=$MAX_NODES}" "$RUNS" "$lmedian" "$lfirst" "$lbytes"
printf '| the same, every node (maxNodes=0) | %.3f s (first run %.3f s; %d bytes) |\n' \
	"$median" "$first" "$json_bytes"
