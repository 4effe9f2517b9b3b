#!/usr/bin/env bash
# bench/record.sh: `flamekit record` side by side with `perf record` (+ `perf script |
# stackcollapse-perf.pl | flamegraph.pl`) in one run: (a) start-up, (b) overhead on the
# profiled program, (c) time from the end of sampling to the SVG. Prints a Markdown report
# for BENCHMARKS.md (progress goes to stderr).
#
#   make && FLAMEGRAPH_DIR=/path/to/FlameGraph ./bench/record.sh     (or: ... make bench)
#
# Needs perf_event_open for both tools: run as root, or with kernel.perf_event_paranoid
# low enough for your user (<= 2 for these per-process recordings).
#
# Environment:
#   FLAMEKIT        binary to measure (default build/flamekit; `make` builds it)
#   PERF            perf binary (default /usr/bin/perf, Debian package linux-perf)
#   FLAMEGRAPH_DIR  a checkout of github.com/brendangregg/FlameGraph (never copied into
#                   this repository). Unset: (c)'s Perl pipeline is skipped, said so.
#   REPS            runs per command in (a) and (b), median taken (default 10)
#   REPS_POST       runs per command in (c), median taken (default 5)
#   WORK_UNITS      units of bench/work.c per run in (b) and (c) (default 3000, ~3 s)
#   BUILD           where bench/work.c is compiled (default build; $BUILD/bench/work)
#   BENCH_DIR       keep the recordings and outputs there (default: a temp dir, removed)
#
# (a) start-up: wall time of `flamekit record -o x.svg -- true` and of
#     `perf record -o p.data -- true` (hyperfine if installed, else a bash loop timed
#     with $EPOCHREALTIME), median of REPS runs.
# (b) overhead: bench/work.c does a fixed amount of work (not time-based) and reports
#     its own elapsed time; that time is compared, bare and under each tool at -F 99 and
#     -F 997, with frame-pointer and DWARF (8192-byte stack copies) call graphs, both
#     tools on the cpu-clock event. REPS rounds, interleaved (one run of each command per
#     round, so that noise hits all alike); medians. Also the profiler's own CPU time
#     (GNU time of the command minus the target's getrusage).
# (c) end of sampling to SVG: work.c prints the CLOCK_REALTIME nanosecond at which its
#     work ended (sampling ends when the program exits); flamekit's post-processing is
#     its exit time minus that. The perf path is `perf record` (its own tail after the
#     program: writing the file, build-ids) plus `perf script | stackcollapse-perf.pl |
#     flamegraph.pl`, and, for reference, `perf script | flamekit collapse | flamekit
#     flamegraph`. -F 997, fp and dwarf; medians of REPS_POST.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/record.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

FLAMEKIT=${FLAMEKIT:-build/flamekit}
PERF=${PERF:-/usr/bin/perf}
REPS=${REPS:-10}
REPS_POST=${REPS_POST:-5}
WORK_UNITS=${WORK_UNITS:-3000}
BUILD=${BUILD:-build}
CC=${CC:-cc}

[ -x "$FLAMEKIT" ] || die "$FLAMEKIT not found; run \`make\` first (or \`make bench\`)"
"$FLAMEKIT" record --help >/dev/null 2>&1 || die "$FLAMEKIT has no working \`record\` command"
[ -x "$PERF" ] || die "perf not found at $PERF (Debian package linux-perf; or set PERF)"
GNU_TIME=/usr/bin/time
"$GNU_TIME" -f %U true >/dev/null 2>&1 || die "GNU time not found at $GNU_TIME (Debian package \`time\`)"

scp="" fgpl="" skip_reason=""
if [ -n "${FLAMEGRAPH_DIR:-}" ]; then
	scp=$FLAMEGRAPH_DIR/stackcollapse-perf.pl
	fgpl=$FLAMEGRAPH_DIR/flamegraph.pl
	[ -f "$scp" ] && [ -f "$fgpl" ] ||
		die "FLAMEGRAPH_DIR=$FLAMEGRAPH_DIR has no stackcollapse-perf.pl / flamegraph.pl"
	command -v perl >/dev/null || die "perl not found"
else
	skip_reason="FLAMEGRAPH_DIR is not set (point it at a checkout of github.com/brendangregg/FlameGraph)"
	note "(c): the stackcollapse-perf.pl | flamegraph.pl pipeline is skipped: $skip_reason"
fi

if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-bench-record.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

# the fixed-work target
mkdir -p "$BUILD/bench"
wbin=$BUILD/bench/work
if [ ! -x "$wbin" ] || [ bench/work.c -nt "$wbin" ]; then
	"$CC" -O2 -g -fno-omit-frame-pointer -o "$wbin" bench/work.c || die "cannot build bench/work.c"
fi
wbin=$(cd "$(dirname "$wbin")" && pwd)/work

# both tools must be allowed to sample
"$PERF" record -q -o "$work/check.data" -- true >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; die "perf record does not work here (permissions? kernel.perf_event_paranoid)"; }
"$FLAMEKIT" record -q -o "$work/check.svg" -- true >/dev/null 2>"$work/err" ||
	{ cat "$work/err" >&2; die "flamekit record does not work here"; }

# ---- helpers --------------------------------------------------------------------------
us() { local t=$EPOCHREALTIME; echo "${t/./}"; } # wall clock, microseconds
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt() { awk -v x="$1" -v d="${2:-3}" 'BEGIN { printf "%.*f", d, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", 100 * (a - b) / b }'; }
add() { echo "$2" >>"$work/m.$1"; } # add NAME VALUE: one measurement
med() { median <"$work/m.$1"; }     # med NAME: their median
rm -f "$work"/m.*

# run_timed NAME CMD...: runs CMD (stdout to $work/out, stderr to $work/err), adds its wall
# seconds to NAME; dies with its stderr if it fails. With TIME_CPU=1, under GNU time: the
# user + system seconds of CMD and everything it waited for go to $work/cpu.
run_timed() {
	local name=$1 t0 t1
	shift
	t0=$(us)
	if [ "${TIME_CPU:-0}" = 1 ]; then
		"$GNU_TIME" -f '%U %S' -o "$work/cpu" "$@" >"$work/out" 2>"$work/err" ||
			{ cat "$work/err" >&2; die "failed: $*"; }
	else
		"$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; die "failed: $*"; }
	fi
	t1=$(us)
	LAST_END_US=$t1
	add "$name" "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.6f", d / 1e6 }')"
}
# the target's own figures from work.c's line: elapsed seconds, end (microseconds)
work_elapsed() { awk '$1 == "work:" { print $6 }' "$work/out"; }
# the CPU seconds of the profiler alone: the command's (children included) minus work's own
tool_cpu() { awk -v w="$(awk '$1 == "work:" { print $7 }' "$work/out")" '{ c = $1 + $2 - w; if (c < 0) c = 0; printf "%.2f", c }' "$work/cpu"; }
work_end_us() { awk '$1 == "work:" { printf "%.0f", $5 / 1000 }' "$work/out"; }
fk_samples() { sed -n 's/^flamekit record: .* \([0-9][0-9]*\) samples.*/\1/p' "$work/err" | tail -n 1; }
perf_samples() { sed -n 's/.*(\([0-9][0-9]*\) samples).*/\1/p' "$work/err" | tail -n 1; }

ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
read -r b0 t0 <<<"$(ticks)"
sleep 1
read -r b1 t1 <<<"$(ticks)"
busy_before=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
[ "$busy_before" -le 10 ] || note "warning: the machine is ${busy_before}% busy before the run"

# ---- (a) start-up -----------------------------------------------------------------------
# perf 6.1 joins its BPF side-band thread at exit, which polls with a 1 s timeout: a short
# `perf record` takes about 1 s longer than its work. --no-bpf-event (no BPF program
# events recorded) avoids that; both are shown.
fk_true=("$FLAMEKIT" record -q -o "$work/a.svg" -- true)
perf_true=("$PERF" record -q -o "$work/a.data" -- true)
perfnb_true=("$PERF" record -q --no-bpf-event -o "$work/a.data" -- true)
if command -v hyperfine >/dev/null && command -v python3 >/dev/null; then
	a_how="hyperfine -N, $REPS runs each after 2 warm-up runs, median"
	note "(a) start-up: hyperfine"
	hyperfine -N --warmup 2 --runs "$REPS" --export-json "$work/a.json" \
		"${fk_true[*]}" "${perf_true[*]}" "${perfnb_true[*]}" >&2
	read -r a_fk a_perf a_perfnb < <(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(*(x["median"] for x in r))' "$work/a.json")
else
	a_how="bash loop timed with \$EPOCHREALTIME (hyperfine not installed), $REPS interleaved runs each after 2 warm-up runs, median"
	note "(a) start-up: $REPS runs each (hyperfine not installed)"
	for _ in 1 2; do
		"${fk_true[@]}" >/dev/null 2>&1
		"${perf_true[@]}" >/dev/null 2>&1
		"${perfnb_true[@]}" >/dev/null 2>&1
	done
	for ((i = 0; i < REPS; i++)); do
		run_timed a_fk "${fk_true[@]}"
		run_timed a_perf "${perf_true[@]}"
		run_timed a_perfnb "${perfnb_true[@]}"
	done
	a_fk=$(med a_fk) a_perf=$(med a_perf) a_perfnb=$(med a_perfnb)
fi
note "(a) flamekit $(fmt "$a_fk" 4) s, perf $(fmt "$a_perf" 4) s, perf --no-bpf-event $(fmt "$a_perfnb" 4) s"

# ---- (b) overhead on the target ---------------------------------------------------------
CONFIGS="99:fp 997:fp 99:dwarf 997:dwarf"
cg_opt() { if [ "$1" = fp ]; then echo fp; else echo dwarf,8192; fi; }
note "(b) overhead: $REPS rounds of 1 bare + 8 recorded runs of work $WORK_UNITS (~$(((REPS * 9 * 35 + 5) / 10)) s)"
for ((i = 0; i < REPS; i++)); do
	run_timed b_bare_wall "$wbin" "$WORK_UNITS"
	add b_bare "$(work_elapsed)"
	for c in $CONFIGS; do
		hz=${c%%:*} cg=${c#*:}
		TIME_CPU=1 run_timed "b_fk_${c}_wall" "$FLAMEKIT" record -F "$hz" --call-graph "$(cg_opt "$cg")" \
			-o "$work/b.svg" -- "$wbin" "$WORK_UNITS"
		add "b_fk_$c" "$(work_elapsed)"
		add "b_fk_${c}_n" "$(fk_samples)"
		add "b_fk_${c}_cpu" "$(tool_cpu)"
		TIME_CPU=1 run_timed "b_perf_${c}_wall" "$PERF" record -e cpu-clock -F "$hz" --call-graph "$(cg_opt "$cg")" \
			-o "$work/b.data" -- "$wbin" "$WORK_UNITS"
		add "b_perf_$c" "$(work_elapsed)"
		add "b_perf_${c}_n" "$(perf_samples)"
		add "b_perf_${c}_cpu" "$(tool_cpu)"
	done
	note "(b) round $((i + 1))/$REPS done"
done

# ---- (c) end of sampling to SVG -----------------------------------------------------------
note "(c) post-processing: $REPS_POST runs per setting"
for cg in fp dwarf; do
	for ((i = 0; i < REPS_POST; i++)); do
		run_timed "c_fk_${cg}_wall" "$FLAMEKIT" record -F 997 --call-graph "$(cg_opt "$cg")" \
			-o "$work/c.svg" -- "$wbin" "$WORK_UNITS"
		add "c_fk_$cg" "$(awk -v a="$LAST_END_US" -v b="$(work_end_us)" 'BEGIN { printf "%.6f", (a - b) / 1e6 }')"
		add "c_fk_${cg}_n" "$(fk_samples)"
		run_timed "c_perfrec_${cg}_wall" "$PERF" record -e cpu-clock -F 997 --call-graph "$(cg_opt "$cg")" \
			-o "$work/c.data" -- "$wbin" "$WORK_UNITS"
		add "c_perfrec_$cg" "$(awk -v a="$LAST_END_US" -v b="$(work_end_us)" 'BEGIN { printf "%.6f", (a - b) / 1e6 }')"
		add "c_perfrec_${cg}_n" "$(perf_samples)"
		run_timed "c_perfnb_${cg}_wall" "$PERF" record --no-bpf-event -e cpu-clock -F 997 \
			--call-graph "$(cg_opt "$cg")" -o "$work/c.data" -- "$wbin" "$WORK_UNITS"
		add "c_perfnb_$cg" "$(awk -v a="$LAST_END_US" -v b="$(work_end_us)" 'BEGIN { printf "%.6f", (a - b) / 1e6 }')"
		run_timed "c_script_$cg" "$PERF" script -i "$work/c.data"
		run_timed "c_fkpipe_$cg" sh -c '"$1" script -i "$2" 2>/dev/null | "$3" collapse | "$3" flamegraph' \
			sh "$PERF" "$work/c.data" "$FLAMEKIT"
		[ -s "$work/out" ] || die "perf script | flamekit collapse | flamekit flamegraph wrote nothing"
		if [ -n "$scp" ]; then
			run_timed "c_plpipe_$cg" sh -c '"$1" script -i "$2" 2>/dev/null | perl "$3" | perl "$4"' \
				sh "$PERF" "$work/c.data" "$scp" "$fgpl"
			[ -s "$work/out" ] || die "perf script | stackcollapse-perf.pl | flamegraph.pl wrote nothing"
		fi
	done
	note "(c) $cg done"
done

read -r b2 t2 <<<"$(ticks)"

# ---- report -------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
fk_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src Makefile 2>/dev/null)" ]; then fk_rev="$fk_rev + uncommitted changes"; fi
fk_v=$("$FLAMEKIT" --version 2>/dev/null | head -n 1 || true)
perf_v=$("$PERF" --version 2>/dev/null | head -n 1 || true)
repro="./bench/record.sh"
[ "$REPS" = 10 ] || repro="REPS=$REPS $repro"
[ "$REPS_POST" = 5 ] || repro="REPS_POST=$REPS_POST $repro"
[ "$WORK_UNITS" = 3000 ] || repro="WORK_UNITS=$WORK_UNITS $repro"
[ -z "$scp" ] || repro="FLAMEGRAPH_DIR=/path/to/FlameGraph $repro"

echo "### record: flamekit record vs perf record"
echo
echo "- Command: \`$repro\` (from the repository root, after \`make\`)"
echo "- Machine: $(nproc) CPUs ($cpu), Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'); CPU busy before the run: ${busy_before}%; kernel.perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo '?'); running as $(id -un)"
echo "- flamekit: ${fk_v:-flamekit}, commit $fk_rev; ${perf_v:-perf} ($PERF)"
if [ -n "$scp" ]; then
	echo "- FlameGraph: stackcollapse-perf.pl sha256 $(sha256sum "$scp" | cut -c1-12), flamegraph.pl sha256 $(sha256sum "$fgpl" | cut -c1-12); perl $(perl -e 'printf "%vd", $^V')"
else
	echo "- FlameGraph Perl scripts: **skipped**: $skip_reason"
fi
echo "- Target: \`bench/work.c\` ($CC -O2 -g -fno-omit-frame-pointer), $WORK_UNITS fixed work units through a 13-frame call chain; bare runtime median $(fmt "$(med b_bare)") s"
echo
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
echo "#### (a) start-up: \`record -- true\`"
echo
echo "$a_how."
echo
echo "| Command | Median wall (ms) | Its time / flamekit's |"
echo "|---|---:|---:|"
echo "| \`flamekit record -q -o x.svg -- true\` | $(ms "$a_fk") | 1.00x |"
echo "| \`perf record -q -o p.data -- true\` | $(ms "$a_perf") | $(ratio "$a_perf" "$a_fk")x |"
echo "| \`perf record -q --no-bpf-event -o p.data -- true\` | $(ms "$a_perfnb") | $(ratio "$a_perfnb" "$a_fk")x |"
echo
echo "#### (b) overhead on the profiled program"
echo
echo "The target's own elapsed time for its fixed work, median of $REPS interleaved rounds; overhead = vs the bare median. Samples: median per run (flamekit's summary line, perf's \"(N samples)\"). Wall: the whole command, start-up and output included (flamekit writes the SVG; perf only perf.data, no post-processing). Tool CPU: user + system seconds of the profiler itself (the command's, from GNU time, minus the target's own getrusage), median; it runs on another CPU while the target runs, and competes with it on a busy machine."
echo
echo "| Settings | Tool | Target runtime (s) | Overhead | Samples | Wall (s) | Tool CPU (s) | flamekit's overhead / perf's |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
bare=$(med b_bare)
echo "| none | bare | $(fmt "$bare") | - | - | $(fmt "$(med b_bare_wall)") | - | - |"
for c in $CONFIGS; do
	hz=${c%%:*} cg=${c#*:}
	fk=$(med "b_fk_$c") pf=$(med "b_perf_$c")
	vs=$(awk -v a="$fk" -v b="$pf" -v r="$bare" 'BEGIN {
		if (b - r < 0.005 * r) print "n/a (perf < 0.5%)"; else printf "%.2fx", (a - r) / (b - r) }')
	dw=""
	[ "$cg" = fp ] || dw=",8192"
	echo "| -F $hz, $cg$dw | flamekit record | $(fmt "$fk") | $(pct "$fk" "$bare") | $(fmt "$(med "b_fk_${c}_n")" 0) | $(fmt "$(med "b_fk_${c}_wall")") | $(fmt "$(med "b_fk_${c}_cpu")" 2) | $vs |"
	echo "| -F $hz, $cg$dw | perf record | $(fmt "$pf") | $(pct "$pf" "$bare") | $(fmt "$(med "b_perf_${c}_n")" 0) | $(fmt "$(med "b_perf_${c}_wall")") | $(fmt "$(med "b_perf_${c}_cpu")" 2) | |"
done
echo
echo "#### (c) end of sampling to SVG (-F 997)"
echo
echo "From the moment the target's work ended (its CLOCK_REALTIME stamp; sampling ends when it exits) to the SVG on disk, median of $REPS_POST runs per step. perf's path is \`perf record\`'s tail after the target (writing perf.data, build-ids, joining its threads) followed by a pipeline on its perf.data."
echo
echo "| Settings | Samples (flamekit / perf) | flamekit record (ms) | perf record tail (ms, default / --no-bpf-event) | \`perf script\` alone (ms) | \`perf script \\| flamekit collapse \\| flamekit flamegraph\` (ms) | \`perf script \\| stackcollapse-perf.pl \\| flamegraph.pl\` (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for cg in fp dwarf; do
	dw=""
	[ "$cg" = fp ] || dw=",8192"
	if [ -n "$scp" ]; then plcell="$(ms "$(med "c_plpipe_$cg")")"; else plcell="skipped"; fi
	echo "| $cg$dw | $(fmt "$(med "c_fk_${cg}_n")" 0) / $(fmt "$(med "c_perfrec_${cg}_n")" 0) | $(ms "$(med "c_fk_$cg")") | $(ms "$(med "c_perfrec_$cg")") / $(ms "$(med "c_perfnb_$cg")") | $(ms "$(med "c_script_$cg")") | $(ms "$(med "c_fkpipe_$cg")") | $plcell |"
done
echo
echo "Totals in ms, end of sampling to SVG, and how many times longer than flamekit record:"
echo
echo "| Settings | flamekit record | perf record + Perl scripts | perf record --no-bpf-event + Perl scripts | perf record --no-bpf-event + flamekit collapse/flamegraph |"
echo "|---|---:|---:|---:|---:|"
for cg in fp dwarf; do
	dw=""
	[ "$cg" = fp ] || dw=",8192"
	fk=$(med "c_fk_$cg") tail=$(med "c_perfrec_$cg") tailnb=$(med "c_perfnb_$cg")
	fkp=$(med "c_fkpipe_$cg")
	cell() { local t; t=$(awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'); echo "$(ms "$t") ($(ratio "$t" "$fk")x)"; }
	if [ -n "$scp" ]; then
		pl=$(med "c_plpipe_$cg")
		c1=$(cell "$tail" "$pl") c2=$(cell "$tailnb" "$pl")
	else
		c1="skipped" c2="skipped"
	fi
	echo "| $cg$dw | $(ms "$fk") (1.00x) | $c1 | $c2 | $(cell "$tailnb" "$fkp") |"
done
busy_during=$(awk -v b=$((b2 - b1)) -v t=$((t2 - t1)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
echo
echo "- Whole machine CPU use during the run: ${busy_during}% (the measured commands included)."
