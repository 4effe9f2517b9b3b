#!/usr/bin/env bash
# bench/python.sh: how much `flamekit record --python` slows the Python program it samples,
# side by side in one run with `perf record -g` at the same rate, and whether flamekit
# keeps up at 1000 Hz. Prints a Markdown report for BENCHMARKS.md (progress on stderr).
#
#   make && sh bench/python.sh        (or: make bench)
#
# Needs: root, or permission to read the target's memory (kernel.yama.ptrace_scope) and to
# sample with perf (kernel.perf_event_paranoid); perf (Debian package linux-perf); a C
# compiler (CC, default cc) for the small timer below; a CPython 3.9-3.13.
#
# Environment:
#   FLAMEKIT     binary to measure (default build/flamekit)
#   PERF         perf binary (default /usr/bin/perf)
#   PYTHON       the interpreter (default python3 from PATH; a pyenv shim is resolved to
#                the real binary, so that the shim's start-up is not timed)
#   REPS         rounds kept (default 20; about 6 minutes); each runs every configuration once
#   PY_ROUNDS    work rounds of bench/pywork.py (default 130, about 2.5 s with 3.11)
#   RATES        sampling rates (default "100 1000")
#   QUIET_MAX    a round during which other processes used more than this percentage of
#                the machine's CPU time is dropped and run again (default 10)
#   MAX_ROUNDS   rounds tried at most (default 3 x REPS); past it every round is kept
#   PERF_ATTACH  how perf is attached: cmd (default), pid, or both (see below)
#   CC           compiler for the timer (default cc)
#   BENCH_DIR    keep the outputs there (default: a temporary directory, removed)
#
# What is measured. bench/pywork.py does a fixed amount of pure-Python work (not
# time-based; PYTHONHASHSEED=0, so that every run does the very same work), so a
# profiler's cost shows as a longer run. Its wall and CPU (user + system)
# time come from a timer wrapped around the python process alone, in every configuration
# (a 20-line C program compiled by this script: fork, exec, wait4; CLOCK_MONOTONIC and
# rusage to the microsecond, where GNU time's %e/%U/%S have 10 ms steps, 0.4% of a run):
#   bare         python3 bench/pywork.py
#   bare again   the same, a second time per round: the noise floor (its "slowdown" vs
#                bare would be 0 on a noiseless machine)
#   flamekit HZ  flamekit record --python -F HZ -p PID, attached as soon as the python
#                process has exec'd (the script polls /proc/PID/task/PID/children and
#                /proc/PID/exe with shell builtins only, for a few ms, in bare runs too).
#   perf HZ      perf record -F HZ -g -- TIMER python3 bench/pywork.py
# Why -p for flamekit: flamekit attaches in about a millisecond (its summary line's
# sampled time equals the target's wall time, reported as "coverage"), its own CPU time is
# then that of the flamekit process alone (the timer around it, no child to subtract), and
# the target's time does not include flamekit's start-up or the writing of its output, as
# `flamekit record --python -- python3 ...` timed from outside would (and a timer cannot
# sit between flamekit and python there: flamekit follows the process it starts, and
# --subprocesses would be a different mode). Why `--` for perf: `perf record -p` spends
# 0.1-0.3 s starting (synthesizing the system's mmap events, its BPF side band) while the
# target already runs, unsampled, and that start-up competes with the target for the
# CPUs; with `perf record -- CMD` all of that happens before the target is exec'd, and
# perf follows the timer's fork into python, so the whole run is sampled. perf's own CPU
# is then the timer's figure for the perf command minus the target's. PERF_ATTACH=pid
# (or both) runs `perf record -F HZ -g -p PID` attached like flamekit instead (or too).
#
# The configurations run in a different order each round (rotated), REPS rounds kept (a
# round is dropped when other processes took more than QUIET_MAX% of the machine during
# it: busy time in /proc/stat minus the CPU time of the measured commands); the report
# gives medians, the min-max spread, and the slowdown as median(profiled) /
# median(bare) - 1 with a 95% bootstrap interval (the rounds resampled), and the per-round
# paired slowdown (each run vs the same round's bare run) as a second estimate, with its
# interquartile range. The bare-again row says how much of a slowdown noise alone makes.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/python.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

FLAMEKIT=${FLAMEKIT:-build/flamekit}
PERF=${PERF:-/usr/bin/perf}
PYTHON=${PYTHON:-python3}
REPS=${REPS:-20}
PY_ROUNDS=${PY_ROUNDS:-130}
RATES=${RATES:-100 1000}
QUIET_MAX=${QUIET_MAX:-10}
MAX_ROUNDS=${MAX_ROUNDS:-$((3 * REPS))}
PERF_ATTACH=${PERF_ATTACH:-cmd}
CC=${CC:-cc}

case $PERF_ATTACH in cmd | pid | both) ;; *) die "PERF_ATTACH must be cmd, pid or both" ;; esac
[ -x "$FLAMEKIT" ] || die "$FLAMEKIT not found; run \`make\` first (or \`make bench\`)"
"$FLAMEKIT" record --help 2>&1 | grep -- --python >/dev/null || die "$FLAMEKIT has no \`record --python\`"
[ -x "$PERF" ] || die "perf not found at $PERF (Debian package linux-perf; or set PERF)"
py=$("$PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null) || die "cannot run $PYTHON"
[ -x "$py" ] || die "$PYTHON: sys.executable ($py) is not executable"
pyver=$("$py" -c 'import platform, sys; print(platform.python_implementation(), "%d.%d.%d" % sys.version_info[:3])')
case $pyver in "CPython 3."[9].* | "CPython 3.1"[0-3].*) ;; *) die "$py is $pyver; flamekit reads CPython 3.9-3.13" ;; esac

# the same work in every run: no per-process string hash randomization (dict layouts)
export PYTHONHASHSEED=0

if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-bench-python.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
rm -f "$work"/m.* "$work"/r.*

# ---- the timer: TIMER OUT CMD ARGS... runs CMD, writes "wall user sys" (seconds) to OUT ----
cat >"$work/timer.c" <<'EOF_C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double secs(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }
int main(int argc, char **argv)
{
	if (argc < 3) return 2;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid < 0) return 2;
	if (pid == 0) { execvp(argv[2], argv + 2); _exit(127); }
	int st; struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0) return 2;
	clock_gettime(CLOCK_MONOTONIC, &b);
	FILE *f = fopen(argv[1], "w");
	if (!f) return 2;
	fprintf(f, "%.6f %.6f %.6f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
		secs(ru.ru_utime), secs(ru.ru_stime));
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF_C
timer=$work/timer
"$CC" -O2 -o "$timer" "$work/timer.c" || die "cannot compile the timer with $CC"
# a copy of the binary: a rebuild during the run does not change what is measured
cp "$FLAMEKIT" "$work/flamekit"
fk_sum=$(sha256sum "$FLAMEKIT" | cut -c1-12)
FLAMEKIT_SRC=$FLAMEKIT FLAMEKIT=$work/flamekit

# ---- helpers ------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# quantile Q (0..1), linear interpolation between order statistics
quantile() { sort -g | awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } h = (NR - 1) * q + 1; i = int(h); r = v[NR]; if (i < NR) r = v[i] + (h - i) * (v[i + 1] - v[i]); print r }'; }
fmt() { awk -v x="$1" -v d="${2:-3}" 'BEGIN { if (x == "nan" || x == "") print "-"; else printf "%.*f", d, x }'; }
pct() { awk -v x="$1" 'BEGIN { if (x == "nan" || x == "") print "-"; else printf "%+.2f%%", 100 * x }'; }
# A round's measurements are staged (r.NAME) and kept (appended to m.NAME, one line per
# round) only if the round was quiet enough; see QUIET_MAX.
add() { echo "$2" >>"$work/r.$1"; } # add NAME VALUE: one measurement
last() { tail -n 1 "$work/r.$1"; }  # the value just added to NAME
med() { median <"$work/m.$1"; }
mmin() { sort -g "$work/m.$1" | head -n 1; }
mmax() { sort -g "$work/m.$1" | tail -n 1; }
# the per-round paired slowdowns of NAME vs bare (same round), one per line
paired() { paste "$work/m.$1_wall" "$work/m.bare_wall" | awk '{ printf "%.6f\n", $1 / $2 - 1 }'; }
# boot NAME: the slowdown median(NAME_wall) / median(bare_wall) - 1 recomputed on 2000
# resamples of the rounds (drawn with replacement, each round's pair kept together; fixed
# seed), one per line; its 2.5% and 97.5% quantiles are a 95% confidence interval
boot() {
	paste "$work/m.$1_wall" "$work/m.bare_wall" | awk '
	function med(a, n, i, j, t) {
		for (i = 1; i <= n; i++) s[i] = a[i]
		for (i = 2; i <= n; i++) { t = s[i]; for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]; s[j + 1] = t }
		return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
	}
	{ x[NR] = $1; y[NR] = $2 }
	END {
		srand(1)
		for (b = 1; b <= 2000; b++) {
			for (i = 1; i <= NR; i++) { k = int(rand() * NR) + 1; xa[i] = x[k]; ya[i] = y[k] }
			printf "%.6f\n", med(xa, NR) / med(ya, NR) - 1
		}
	}'
}
sum_file() { awk '{ s += $1 } END { printf "%.6f", s }' "$1"; }

# start_target: runs pywork under the timer in the background ($work/target.time: "wall
# user sys"); sets TP (the timer's pid) and TPID (python's), returning once python has
# exec'd. Shell builtins only while polling.
start_target() {
	"$timer" "$work/target.time" "$py" bench/pywork.py "$PY_ROUNDS" &
	TP=$!
	local c
	while :; do
		c=
		{ read -r c <"/proc/$TP/task/$TP/children"; } 2>/dev/null || :
		if [ -n "$c" ] && [ "/proc/$c/exe" -ef "$py" ]; then
			TPID=$c
			return 0
		fi
		kill -0 "$TP" 2>/dev/null || die "the target exited before it could be attached to"
	done
}
# target's figures into NAME_wall, NAME_cpu; adds to the CPU seconds we caused
target_done() {
	local w u s
	read -r w u s <"$work/target.time" || die "no timer output for the target"
	add "$1_wall" "$w"
	add "$1_cpu" "$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.4f", u + s }')"
	awk -v u="$u" -v s="$s" 'BEGIN { printf "%.4f\n", u + s }' >>"$work/r.ours"
}
# tool's CPU (the timer's, of the tool command) minus SUBTRACT seconds into NAME_tcpu
tool_done() {
	local w u s
	read -r w u s <"$work/tool.time" || die "no timer output for the tool"
	add "$1_tcpu" "$(awk -v u="$u" -v s="$s" -v x="${2:-0}" 'BEGIN { c = u + s - x; if (c < 0) c = 0; printf "%.4f", c }')"
	awk -v u="$u" -v s="$s" -v x="${2:-0}" 'BEGIN { printf "%.4f\n", u + s - x }' >>"$work/r.ours"
}
# stderr lines of a tool that are not its normal summary go to errs.NAME
keep_odd_stderr() {
	grep -v -E "$2" "$work/tool.err" >>"$work/r.errs.$1" || :
}

run_bare() { # NAME
	start_target
	wait "$TP" || die "the target failed (bare)"
	target_done "$1"
}

run_fk() { # NAME HZ
	local name=$1 hz=$2 line
	start_target
	"$timer" "$work/tool.time" "$FLAMEKIT" record --python -F "$hz" -p "$TPID" \
		-o "$work/fk.folded" 2>"$work/tool.err" || { cat "$work/tool.err" >&2; die "flamekit record failed"; }
	wait "$TP" || die "the target failed under flamekit"
	target_done "$name"
	tool_done "$name"
	# flamekit record: 2.43 s, 242 samples, 244 ticks (100.4/s of 100 asked; 0 late ticks skipped), ...
	line=$(grep '^flamekit record: [0-9.]* s, [0-9]* samples, ' "$work/tool.err" | tail -n 1) ||
		{ cat "$work/tool.err" >&2; die "no summary line from flamekit record"; }
	read -r el ns nt rate late <<<"$(echo "$line" | sed -E 's/^flamekit record: ([0-9.]+) s, ([0-9]+) samples, ([0-9]+) ticks \(([0-9.]+)\/s of [0-9]+ asked; ([0-9]+) late ticks skipped.*/\1 \2 \3 \4 \5/')"
	add "${name}_elapsed" "$el"
	add "${name}_samples" "$ns"
	add "${name}_ticks" "$nt"
	add "${name}_rate" "$rate"
	add "${name}_late" "$late"
	add "${name}_failed" "$(sed -n 's/^flamekit record: \([0-9]*\) reads failed.*/\1/p' "$work/tool.err" | tail -n 1 | grep . || echo 0)"
	# sanity: share of the samples inside pywork's main()
	add "${name}_inmain" "$(awk '{ n += $NF; if (index($0, ";main (pywork.py:")) m += $NF } END { printf "%.4f", n ? m / n : 0 }' "$work/fk.folded")"
	keep_odd_stderr "$name" '^flamekit record: ([0-9.]+ s, [0-9]+ samples, |[0-9]+ reads failed \(processes exiting\)$)'
}

run_perf_cmd() { # NAME HZ
	local name=$1 hz=$2 tc
	"$timer" "$work/tool.time" "$PERF" record -F "$hz" -g -o "$work/p.data" -- \
		"$timer" "$work/target.time" "$py" bench/pywork.py "$PY_ROUNDS" \
		2>"$work/tool.err" || { cat "$work/tool.err" >&2; die "perf record failed"; }
	target_done "$name"
	tc=$(last "${name}_cpu")
	tool_done "$name" "$tc"
	perf_samples "$name"
}
run_perf_pid() { # NAME HZ
	local name=$1 hz=$2
	start_target
	"$timer" "$work/tool.time" "$PERF" record -F "$hz" -g -p "$TPID" -o "$work/p.data" \
		2>"$work/tool.err" || { cat "$work/tool.err" >&2; die "perf record -p failed"; }
	wait "$TP" || die "the target failed under perf"
	target_done "$name"
	tool_done "$name"
	perf_samples "$name"
}
perf_samples() {
	local n
	n=$(sed -n 's/.*(\([0-9][0-9]*\) samples).*/\1/p' "$work/tool.err" | tail -n 1)
	[ -n "$n" ] || { cat "$work/tool.err" >&2; die "no sample count from perf record"; }
	add "$1_samples" "$n"
	# samples per second of the target's CPU time (cpu-clock samples CPU time)
	add "$1_rate" "$(awk -v n="$n" -v c="$(last "$1_cpu")" 'BEGIN { printf "%.1f", (c > 0 ? n / c : 0) }')"
	keep_odd_stderr "$1" '^\[ perf record: (Woken up|Captured and wrote)'
}

# ---- checks, warm-up ----------------------------------------------------------------------
[ -r "/proc/self/task/$BASHPID/children" ] || die "/proc/PID/task/TID/children is missing (kernel without CONFIG_PROC_CHILDREN)"
"$PERF" record -q -o "$work/check.data" -- true >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; die "perf record does not work here (permissions? kernel.perf_event_paranoid)"; }
"$FLAMEKIT" record --python -q -o "$work/check.folded" -- "$py" -c 'sum(range(10**7))' >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; die "flamekit record --python does not work here"; }

configs="bare"
for hz in $RATES; do
	configs="$configs fk$hz"
	case $PERF_ATTACH in cmd | both) configs="$configs perf$hz" ;; esac
	case $PERF_ATTACH in pid | both) configs="$configs perfp$hz" ;; esac
done
configs="$configs bare2"
set -- $configs
nconf=$#

ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
read -r b0 t0 <<<"$(ticks)"
sleep 1
read -r b1 t1 <<<"$(ticks)"
busy_before=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
[ "$busy_before" -le 10 ] || note "warning: the machine is ${busy_before}% busy before the run"

note "warm-up run"
run_bare warm
rm -f "$work"/r.*
clk=$(getconf CLK_TCK)
note "$REPS rounds of: $configs ($pyver, $PY_ROUNDS work rounds each)"
read -r b1 t1 <<<"$(ticks)"
kept=0 attempt=0 dropped=0 forced=0 others=""
while [ "$kept" -lt "$REPS" ]; do
	attempt=$((attempt + 1))
	# rotate the order by one each round
	set -- $configs
	order=()
	for ((k = 0; k < nconf; k++)); do
		i=$(((k + attempt - 1) % nconf + 1))
		order+=("${!i}")
	done
	read -r rb0 rt0 <<<"$(ticks)"
	for c in "${order[@]}"; do
		case $c in
		bare | bare2) run_bare "$c" ;;
		fk*) run_fk "$c" "${c#fk}" ;;
		perfp*) run_perf_pid "$c" "${c#perfp}" ;;
		perf*) run_perf_cmd "$c" "${c#perf}" ;;
		esac
	done
	read -r rb1 rt1 <<<"$(ticks)"
	# other processes' share of the machine during this round: busy ticks minus the CPU
	# time of the measured commands (targets and tools)
	other=$(awk -v b=$((rb1 - rb0)) -v t=$((rt1 - rt0)) -v ours="$(sum_file "$work/r.ours")" -v hz="$clk" \
		'BEGIN { o = t ? 100 * (b - ours * hz) / t : 0; if (o < 0) o = 0; printf "%.0f", o }')
	summary="bare $(last bare_wall) s$(for hz in $RATES; do printf ', fk%s %s s' "$hz" "$(last "fk${hz}_wall")"; done); other processes ${other}%"
	if [ "$other" -gt "$QUIET_MAX" ] && [ "$attempt" -lt "$MAX_ROUNDS" ]; then
		dropped=$((dropped + 1))
		note "round $attempt dropped (other processes used ${other}% of the machine > QUIET_MAX=$QUIET_MAX): $summary"
		rm -f "$work"/r.*
		continue
	fi
	[ "$other" -le "$QUIET_MAX" ] || forced=$((forced + 1))
	kept=$((kept + 1))
	others="$others $other"
	for f in "$work"/r.*; do
		cat "$f" >>"$work/m.${f##*/r.}"
	done
	rm -f "$work"/r.*
	note "round $attempt kept ($kept/$REPS): $summary"
	# past MAX_ROUNDS attempts every round is kept, however busy the machine
done
read -r b2 t2 <<<"$(ticks)"
ours=$(sum_file "$work/m.ours")
busy_during=$(awk -v b=$((b2 - b1)) -v t=$((t2 - t1)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
other_med=$(printf '%s\n' $others | median)
other_max=$(printf '%s\n' $others | sort -g | tail -n 1)
[ "$forced" = 0 ] || note "warning: $forced rounds kept although other processes used more than QUIET_MAX=$QUIET_MAX% of the machine (MAX_ROUNDS=$MAX_ROUNDS reached)"

# ---- report -------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
fk_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src Makefile 2>/dev/null)" ]; then fk_rev="$fk_rev + uncommitted changes"; fi
fk_v=$("$FLAMEKIT" --version 2>/dev/null | head -n 1 || true)
perf_v=$("$PERF" --version 2>/dev/null | head -n 1 || true)
perf_ev=$("$PERF" evlist -i "$work/p.data" 2>/dev/null | head -n 1 || true)
repro="sh bench/python.sh"
[ "$REPS" = 20 ] || repro="REPS=$REPS $repro"
[ "$PY_ROUNDS" = 130 ] || repro="PY_ROUNDS=$PY_ROUNDS $repro"
[ "$RATES" = "100 1000" ] || repro="RATES=\"$RATES\" $repro"
[ "$PERF_ATTACH" = cmd ] || repro="PERF_ATTACH=$PERF_ATTACH $repro"
[ "$QUIET_MAX" = 10 ] || repro="QUIET_MAX=$QUIET_MAX $repro"
[ "$PYTHON" = python3 ] || repro="PYTHON=$PYTHON $repro"

label() {
	case $1 in
	bare) echo "bare" ;;
	bare2) echo "bare again (noise control)" ;;
	fk*) echo "\`flamekit record --python -F ${1#fk} -p PID\`" ;;
	perfp*) echo "\`perf record -F ${1#perfp} -g -p PID\`" ;;
	perf*) echo "\`perf record -F ${1#perf} -g -- CMD\`" ;;
	esac
}

echo "### Python: flamekit record --python vs perf record -g"
echo
echo "- Command: \`$repro\` (from the repository root, after \`make\`)"
echo "- Machine: $(nproc) CPUs ($cpu), Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'); CPU busy before the run: ${busy_before}%; during it: ${busy_during}%. Other processes than the measured ones, per kept round: median ${other_med}%, at most ${other_max}% of the machine; $dropped rounds dropped as busier than ${QUIET_MAX}%$([ "$forced" = 0 ] || echo ", **$forced kept although busier** (MAX_ROUNDS reached)")"
echo "- flamekit: ${fk_v:-flamekit}, commit $fk_rev ($FLAMEKIT_SRC, sha256 $fk_sum); ${perf_v:-perf} ($PERF; event: ${perf_ev:-?})"
echo "- Target: \`$py bench/pywork.py $PY_ROUNDS\` ($pyver), bare wall time median $(fmt "$(med bare_wall)") s; $REPS rounds, each running every configuration once, in an order rotated each round"
echo
echo "Target wall and CPU (user + system) time from a timer (fork, exec, wait4) around the python process alone. Slowdown: median / bare median - 1 (wall; CPU time likewise); 95% CI: bootstrap interval of that figure (2000 resamples of the rounds). The bare-again row shows what noise alone gives. Paired: the median [interquartile range] over the rounds of (this run's wall / the same round's bare run's wall - 1). Tool CPU: user + system seconds of the profiler process (perf: its command's minus the target's), median. Rate: flamekit's ticks per second (its summary line); perf's samples per second of the target's CPU time (cpu-clock samples CPU time)."
echo
echo "| Configuration | Target wall, median (s) | min-max (s) | Slowdown (wall) | 95% CI | Paired slowdown [IQR] | Target CPU (s) | Slowdown (CPU) | Tool CPU (s) | Samples | Rate achieved (/s) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
bare=$(med bare_wall) bare_cpu=$(med bare_cpu)
for c in $configs; do
	w=$(med "${c}_wall") cw=$(med "${c}_cpu")
	if [ "$c" = bare ]; then
		sdc="-" pc="-" sdcpu="-" ci="-"
	else
		sdc=$(pct "$(awk -v a="$w" -v b="$bare" 'BEGIN { print a / b - 1 }')")
		sdcpu=$(pct "$(awk -v a="$cw" -v b="$bare_cpu" 'BEGIN { print a / b - 1 }')")
		pc="$(pct "$(paired "$c" | median)") [$(pct "$(paired "$c" | quantile 0.25)"), $(pct "$(paired "$c" | quantile 0.75)")]"
		boot "$c" >"$work/boot"
		ci="$(pct "$(quantile 0.025 <"$work/boot")") to $(pct "$(quantile 0.975 <"$work/boot")")"
	fi
	tcpu="-" ns="-" rt="-"
	if [ -f "$work/m.${c}_tcpu" ]; then tcpu=$(fmt "$(med "${c}_tcpu")" 3); fi
	if [ -f "$work/m.${c}_samples" ]; then ns=$(fmt "$(med "${c}_samples")" 0); fi
	if [ -f "$work/m.${c}_rate" ]; then rt="$(fmt "$(med "${c}_rate")" 1)"; fi
	echo "| $(label "$c") | $(fmt "$w") | $(fmt "$(mmin "${c}_wall")")-$(fmt "$(mmax "${c}_wall")") | $sdc | $ci | $pc | $(fmt "$cw") | $sdcpu | $tcpu | $ns | $rt |"
done
echo
echo "flamekit's own figures (its summary line on stderr, per run):"
echo
echo "| Rate asked | Sampled for (s), median | Coverage of the target's wall | Ticks, median | Ticks/s achieved: median (min) | Late ticks skipped: median (max) | Samples, median | Samples in pywork's main() | flamekit CPU per tick (us) | flamekit CPU, % of one CPU | Runs with \"N reads failed\" |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for hz in $RATES; do
	c=fk$hz
	cov=$(paste "$work/m.${c}_elapsed" "$work/m.${c}_wall" | awk '{ printf "%.4f\n", $1 / $2 }' | median)
	per=$(paste "$work/m.${c}_tcpu" "$work/m.${c}_ticks" | awk '{ printf "%.6f\n", $2 ? 1e6 * $1 / $2 : 0 }' | median) # microseconds per tick
	fails=$(awk '$1 > 0 { n++ } END { print n + 0 }' "$work/m.${c}_failed")
	share=$(paste "$work/m.${c}_tcpu" "$work/m.${c}_elapsed" | awk '{ printf "%.6f\n", $2 ? 100 * $1 / $2 : 0 }' | median)
	echo "| $hz | $(fmt "$(med "${c}_elapsed")" 2) | $(awk -v x="$cov" 'BEGIN { printf "%.1f%%", 100 * x }') | $(fmt "$(med "${c}_ticks")" 0) | $(fmt "$(med "${c}_rate")" 1) ($(fmt "$(mmin "${c}_rate")" 1)) | $(fmt "$(med "${c}_late")" 0) ($(fmt "$(mmax "${c}_late")" 0)) | $(fmt "$(med "${c}_samples")" 0) | $(awk -v x="$(med "${c}_inmain")" 'BEGIN { printf "%.1f%%", 100 * x }') | $(fmt "$per" 0) | $(fmt "$share" 1)% | $fails of $REPS |"
done
odd=""
for f in "$work"/m.errs.*; do
	[ -s "$f" ] || continue
	odd=1
done
echo
if [ -n "$odd" ]; then
	echo "Other messages on the tools' stderr:"
	echo
	for f in "$work"/m.errs.*; do
		[ -s "$f" ] || continue
		echo "- $(label "${f##*/m.errs.}"): $(sort "$f" | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%dx \"%s\"", sep, n, substr($0, 2); sep = "; " }')"
	done
else
	echo "No other messages on the tools' stderr."
fi
