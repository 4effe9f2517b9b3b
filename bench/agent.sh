#!/usr/bin/env bash
# bench/agent.sh: the overhead of `flamekit agent` on the program it profiles. bench/work.c
# does a fixed amount of CPU work (not time-based) and reports its own elapsed time; that
# time is measured bare and under `flamekit agent -F 99 --interval INTERVAL -- work`
# pushing to a local `flamekit serve` (SQLite in a temp dir), REPS rounds alternating the
# two (so that noise hits both alike); medians, and the agent's own CPU time (GNU time of
# the agent minus the target's getrusage). Prints a Markdown report (progress on stderr).
# The issue's bar: <= 1% at 99 Hz.
#
#   make && ./bench/agent.sh
#
# Needs perf_event_open: root, or kernel.perf_event_paranoid <= 2.
#
# Environment:
#   FLAMEKIT    binary to measure (default build/flamekit)
#   REPS        rounds (default 9)
#   WORK_UNITS  units of bench/work.c per run (default 3000, ~3 s)
#   INTERVAL    the agent's --interval in seconds (default 1: three windows per run, so
#               that cutting and sending windows is in the figure; the default 10 s
#               would send one at exit)
#   BUILD       where bench/work.c is compiled (default build; $BUILD/bench/work)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/agent.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

FLAMEKIT=${FLAMEKIT:-build/flamekit}
REPS=${REPS:-9}
WORK_UNITS=${WORK_UNITS:-3000}
INTERVAL=${INTERVAL:-1}
BUILD=${BUILD:-build}
CC=${CC:-cc}
GNU_TIME=/usr/bin/time

[ -x "$FLAMEKIT" ] || die "$FLAMEKIT not found; run \`make\` first"
"$FLAMEKIT" agent --help >/dev/null 2>&1 || die "$FLAMEKIT has no \`agent\` command"
"$GNU_TIME" -f %U true >/dev/null 2>&1 || die "GNU time not found at $GNU_TIME (Debian package \`time\`)"

mkdir -p "$BUILD/bench"
wbin=$BUILD/bench/work
if [ ! -x "$wbin" ] || [ bench/work.c -nt "$wbin" ]; then
	"$CC" -O2 -g -fno-omit-frame-pointer -o "$wbin" bench/work.c || die "cannot build bench/work.c"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-bench-agent.XXXXXX")
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$FLAMEKIT" serve --listen 127.0.0.1:0 --db "$work/bench.db" 2>"$work/serve.log" &
server=$!
for _ in $(seq 200); do
	grep -q 'listening on' "$work/serve.log" 2>/dev/null && break
	sleep 0.05
done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log" | head -n 1)
[ -n "$url" ] || die "flamekit serve did not start: $(cat "$work/serve.log")"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
add() { echo "$2" >>"$work/m.$1"; }
med() { median <"$work/m.$1"; }

# work's line: "work: UNITS units, START_NS END_NS ELAPSED_S CPU_S"
elapsed_of() { awk '/^work:/ { print $(NF - 1) }' "$1"; }
cpu_of() { awk '/^work:/ { print $NF }' "$1"; }

note "warm-up"
"$wbin" 300 >/dev/null
for r in $(seq "$REPS"); do
	note "round $r/$REPS"
	"$wbin" "$WORK_UNITS" >"$work/out"
	add bare "$(elapsed_of "$work/out")"
	add bare_cpu "$(cpu_of "$work/out")"
	"$GNU_TIME" -f '%U %S' -o "$work/time" "$FLAMEKIT" agent --server "$url" --app bench \
		-F 99 --interval "$INTERVAL" --buffer-dir "$work/buf" -q -- "$wbin" "$WORK_UNITS" \
		>"$work/out" 2>"$work/err" || die "the agent failed: $(cat "$work/err")"
	grep -q ' 0 windows left' "$work/err" || die "windows left unsent: $(cat "$work/err")"
	add agent "$(elapsed_of "$work/out")"
	add target_cpu "$(cpu_of "$work/out")"
	# the agent's own CPU: the whole process tree's minus the target's
	add agent_cpu "$(awk -v t="$(cpu_of "$work/out")" '{ printf "%.4f\n", $1 + $2 - t }' "$work/time")"
	pushed=$(sed -n 's/.* windows (\([0-9]*\) samples) pushed.*/\1/p' "$work/err")
	add samples "$pushed"
done

bare=$(med bare)
agent=$(med agent)
overhead=$(awk -v a="$agent" -v b="$bare" 'BEGIN { printf "%+.2f", 100 * (a - b) / b }')
bare_cpu=$(med bare_cpu)
target_cpu=$(med target_cpu)
cpu_overhead=$(awk -v a="$target_cpu" -v b="$bare_cpu" 'BEGIN { printf "%+.2f", 100 * (a - b) / b }')
cpu=$(med agent_cpu)
cpu_pct=$(awk -v c="$cpu" -v b="$bare" 'BEGIN { printf "%.2f", 100 * c / b }')
cat <<EOF
### flamekit agent: overhead on the target at 99 Hz

bench/work.c, $WORK_UNITS units of CPU work; median of $REPS alternating runs; the agent
pushes a window every $INTERVAL s to a local \`flamekit serve\` (SQLite), -F 99, frame
pointers. $(nproc) CPUs, $(uname -r).

| | elapsed (s) | the target's CPU time (s) |
|---|---|---|
| bare | $bare | $bare_cpu |
| under \`flamekit agent\` | $agent | $target_cpu |
| **overhead** | **$overhead %** | **$cpu_overhead %** |

The agent's own CPU time (outside the target): $cpu s per run, $cpu_pct % of the run
(sampling, folding, cutting $(awk -v a="$agent" -v i="$INTERVAL" 'BEGIN { printf "%d", a / i + 1 }') windows, sending them);
$(med samples) samples pushed per run.

Command: \`REPS=$REPS WORK_UNITS=$WORK_UNITS INTERVAL=$INTERVAL ./bench/agent.sh\`
EOF
