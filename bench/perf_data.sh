#!/usr/bin/env bash
# bench/perf_data.sh: reading perf.data directly against going through perf script's text.
# Records two files of the fixture tests/fixtures/rec_shares.c with perf record:
#   fp     SECONDS (default 20) of rec_shares at -F FREQ (default 10000) with -g
#   dwarf  DWARF_SECONDS (default 5) of rec_shares_nofp with --call-graph dwarf (4000 Hz)
# then times, interleaved, REPS (default 5) rounds of
#   perf script -i FILE > /dev/null
#   flamekit collapse FILE > /dev/null
# and prints the medians of wall time, CPU time (user + system) and max RSS (from
# /usr/bin/time), and the ratio flamekit / perf script. Also checks, once per file, that
# `flamekit collapse FILE` equals `perf script -i FILE | flamekit collapse`. Run it on an
# idle machine (the script waits up to 10 minutes for the 1-minute load average to drop
# below 1, then runs anyway and says so). Needs perf, root or perf_event_paranoid <= 2.
#
#   make build/flamekit build/fixtures/rec_shares build/fixtures/rec_shares_nofp && ./bench/perf_data.sh
#
# Environment: BUILD (default build), REPS, SECONDS_FP, FREQ, DWARF_SECONDS, KEEP (a
# directory to keep the recorded files in).
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
REPS=${REPS:-5}
SECONDS_FP=${SECONDS_FP:-20}
FREQ=${FREQ:-10000}
DWARF_SECONDS=${DWARF_SECONDS:-5}
fk=$root/$BUILD/flamekit
shares=$root/$BUILD/fixtures/rec_shares
shares_nofp=$root/$BUILD/fixtures/rec_shares_nofp

die() { echo "bench/perf_data.sh: $*" >&2; exit 1; }
command -v perf >/dev/null || die "perf is not installed"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (package time)"
for f in "$fk" "$shares" "$shares_nofp"; do
	[ -x "$f" ] || die "$f not found; run \`make $f\`"
done

tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

# the machine should be idle
for _ in $(seq 60); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	awk -v l="$load" 'BEGIN { exit !(l < 1) }' && break
	echo "load average $load: waiting for it to drop below 1" >&2
	sleep 10
done
load=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$load" 'BEGIN { exit !(l < 1) }' || echo "warning: load average still $load" >&2

echo "recording ($SECONDS_FP s fp at $FREQ Hz, $DWARF_SECONDS s dwarf)..." >&2
perf record -q -g -F "$FREQ" -o "$tmp/fp.data" -- "$shares" "$SECONDS_FP" >/dev/null 2>&1
perf record -q --call-graph dwarf -o "$tmp/dwarf.data" -- "$shares_nofp" "$DWARF_SECONDS" >/dev/null 2>&1

# one timed run: prints "wall cpu maxrss_kb"
timed() {
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; die "failed: $*"; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$tmp/time"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "| file | size | samples | tool | wall (s) | CPU (s) | max RSS (MiB) |"
echo "| --- | ---: | ---: | --- | ---: | ---: | ---: |"
for f in fp dwarf; do
	file=$tmp/$f.data
	perf script -i "$file" 2>/dev/null | "$fk" collapse >"$tmp/want"
	"$fk" collapse "$file" >"$tmp/got"
	cmp -s "$tmp/want" "$tmp/got" || echo "warning: $f: flamekit differs from perf script | flamekit collapse" >&2
	samples=$(perf report -i "$file" --stats 2>/dev/null | awk '/SAMPLE events:/ { print $3; exit }')
	size=$(du -m "$file" | cut -f1)
	: >"$tmp/perf.t"
	: >"$tmp/fk.t"
	for _ in $(seq "$REPS"); do
		timed perf script -i "$file" >>"$tmp/perf.t"
		timed "$fk" collapse "$file" >>"$tmp/fk.t"
	done
	for t in perf fk; do
		w=$(cut -d' ' -f1 "$tmp/$t.t" | median)
		c=$(cut -d' ' -f2 "$tmp/$t.t" | median)
		m=$(cut -d' ' -f3 "$tmp/$t.t" | median)
		name=$([ $t = perf ] && echo "perf script" || echo "flamekit collapse")
		printf '| %s | %s MiB | %s | %s | %.2f | %.2f | %.0f |\n' "$f" "$size" "$samples" "$name" "$w" "$c" "$(echo "$m" | awk '{ print $1 / 1024 }')"
		eval "${t}_w=$w ${t}_c=$c"
	done
	# shellcheck disable=SC2154
	awk -v pw="$perf_w" -v fw="$fk_w" -v pc="$perf_c" -v fc="$fk_c" -v f="$f" \
		'BEGIN { printf "| %s | | | ratio flamekit / perf | %.2fx | %.2fx | |\n", f, fw / pw, fc / pc }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
