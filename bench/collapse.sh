#!/usr/bin/env bash
# bench/collapse.sh: throughput and peak memory of `flamekit collapse` next to Brendan
# Gregg's stackcollapse-perf.pl and `perl -ne ''` (Perl merely reading the file), all in
# one run on the same two >= 100 MB inputs. Prints a Markdown report for BENCHMARKS.md.
#
#   FLAMEGRAPH_DIR=/path/to/FlameGraph ./bench/collapse.sh     (or: ... make bench)
#
# Environment:
#   FLAMEGRAPH_DIR  a checkout of github.com/brendangregg/FlameGraph (kept outside this
#                   repository; never commit its code). Unset: the Perl script is skipped.
#   FK_COMPAT       compat corpus (default ../shared/compat, relative to the repo root)
#   FLAMEKIT        binary to measure (default build/flamekit; `make bench` builds it)
#   BENCH_DIR       where to write the inputs and outputs (default: a temp dir, removed)
#   BENCH_MB        minimum input size in MB, 10^6 bytes (default 100)
#   REPS_SLOW       runs of stackcollapse-perf.pl per input, best taken (default 3)
#   REPS_FAST       runs of flamekit and `perl -ne ''` per input, best taken (default 11)
#
# Inputs, built from the corpus's perf-script/inputs/*.txt then example-perf-stacks.txt.gz
# (each followed by an empty line), repeated until >= BENCH_MB:
#   (a) "as captured". stackcollapse-perf.pl keeps only the first event type it meets
#       (`instructions`, from perf-cycles-instructions-01) and skips every other sample;
#       flamekit does the same, so both tools skip most samples here.
#   (b) "every sample folded": the same with each sample header's event rewritten to
#       `cpu-clock:` (header lines only; checked below), so every sample is folded.
#       This is the headline figure.
# Timing: wall clock (date +%s%N) around each run, best of N, file in the page cache.
# Peak RSS: GNU time's %M (Debian package `time`). Outputs are compared with cmp.
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

die() { echo "bench/collapse.sh: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

FLAMEKIT=${FLAMEKIT:-build/flamekit}
COMPAT=${FK_COMPAT:-../shared/compat}
BENCH_MB=${BENCH_MB:-100}
REPS_SLOW=${REPS_SLOW:-3}
REPS_FAST=${REPS_FAST:-11}
GNU_TIME=/usr/bin/time

[ -x "$FLAMEKIT" ] || die "$FLAMEKIT not found; run \`make\` first (or \`make bench\`)"
command -v perl >/dev/null || die "perl not found (Debian package perl)"
command -v gzip >/dev/null || die "gzip not found"
"$GNU_TIME" -f %M true 2>/dev/null >/dev/null ||
	die "GNU time not found at $GNU_TIME (Debian package \`time\`; listed in packages.txt)"
inputs_dir=$COMPAT/perf-script/inputs
[ -d "$inputs_dir" ] || die "no compat corpus at $inputs_dir (set FK_COMPAT)"
example_gz=$inputs_dir/example-perf-stacks.txt.gz
[ -f "$example_gz" ] || example_gz=$COMPAT/example-perf-stacks.txt.gz
[ -f "$example_gz" ] || die "example-perf-stacks.txt.gz not found under $COMPAT"

scp=""
skip_reason=""
if [ -n "${FLAMEGRAPH_DIR:-}" ]; then
	scp=$FLAMEGRAPH_DIR/stackcollapse-perf.pl
	[ -f "$scp" ] || die "FLAMEGRAPH_DIR=$FLAMEGRAPH_DIR has no stackcollapse-perf.pl"
else
	skip_reason="FLAMEGRAPH_DIR is not set (point it at a checkout of github.com/brendangregg/FlameGraph to compare with stackcollapse-perf.pl)"
	note "stackcollapse-perf.pl skipped: $skip_reason"
fi

if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/flamekit-bench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

# ---- inputs -------------------------------------------------------------------------
base_a=$work/base-as-captured.txt
base_b=$work/base-every-sample.txt
: >"$base_a"
ncaptures=0
for f in "$inputs_dir"/*.txt; do
	cat "$f" >>"$base_a"
	echo >>"$base_a"
	ncaptures=$((ncaptures + 1))
done
[ "$ncaptures" -gt 0 ] || die "no captures in $inputs_dir"
ntxt=$ncaptures
gzip -dc "$example_gz" >>"$base_a"
echo >>"$base_a"
ncaptures=$((ncaptures + 1))

# (b): rewrite the event of sample headers (lines starting with a non-blank, not a comment).
sed -E '/^[^[:space:]#]/ s/ [^ ]+:([[:space:]]*)$/ cpu-clock:\1/' "$base_a" >"$base_b"

# Check the rewrite: only sample header lines changed (by stackcollapse-perf.pl's own
# header regex), and afterwards every header whose event it reads says cpu-clock (headers
# without a "TIME:" field, e.g. "java 19983 cycles:", are never filtered by event, so
# rewriting them changes nothing). Also count samples.
check=$(perl -e '
	open(my $a, "<", $ARGV[0]) or die; open(my $b, "<", $ARGV[1]) or die;
	my ($hdr, $first, $nfirst, $changed, $bad, $notcpu) = (0, "", 0, 0, 0, 0);
	while (defined(my $x = <$a>)) {
		my $y = <$b>; die "line count differs\n" unless defined $y;
		my $is_hdr = $x !~ /^#/ && $x =~ /^(\S.+?)\s+(\d+)\/*(\d+)*\s+/;
		my $ev = ($is_hdr && $x =~ /:\s*(\d+)*\s+(\S+):\s*$/) ? $2 : undef;
		if ($is_hdr) {
			$hdr++;
			if (defined $ev) { $first = $ev if $first eq ""; $nfirst++ if $ev eq $first; }
			else { $nfirst++; }  # no event field: never filtered
		}
		if ($x ne $y) { $changed++; $bad++ unless $is_hdr; }
		if ($is_hdr && $y =~ /:\s*(\d+)*\s+(\S+):\s*$/ && $2 ne "cpu-clock") { $notcpu++; }
	}
	die "line count differs\n" if defined <$b>;
	print "$hdr $first $nfirst $changed $bad $notcpu\n";
' "$base_a" "$base_b")
read -r nsamples first_event nfirst nchanged nbad nnotcpu <<<"$check"
[ "$nbad" -eq 0 ] || die "event rewrite touched $nbad lines that are not sample headers"
[ "$nnotcpu" -eq 0 ] || die "event rewrite missed $nnotcpu sample headers"

base_bytes=$(wc -c <"$base_a")
min_bytes=$((BENCH_MB * 1000000))
reps=$(((min_bytes + base_bytes - 1) / base_bytes))
in_a=$work/as-captured.txt
in_b=$work/every-sample.txt
for pair in "$base_a:$in_a" "$base_b:$in_b"; do
	src=${pair%%:*} dst=${pair#*:}
	: >"$dst"
	for _ in $(seq "$reps"); do cat "$src"; done >>"$dst"
done
rm -f "$base_a" "$base_b"
size_a=$(wc -c <"$in_a")
size_b=$(wc -c <"$in_b")
note "inputs: $ncaptures captures x $reps = $size_a bytes (a), $size_b bytes (b); $((nsamples * reps)) samples"
note "rewrite for (b): $nchanged header lines changed, no other line; first event in (a): $first_event"

# ---- measurement --------------------------------------------------------------------
# once NAME OUT CMD...: one timed run. Keeps the best wall-clock seconds in T[NAME], the
# CPU seconds (user+sys, all threads) of that run in C[NAME], the max peak RSS (KiB) in
# R[NAME], the number of runs in N[NAME]; adds the run's CPU centiseconds to ours_cs.
declare -A T C R N BEST
ours_cs=0
once() {
	local name=$1 out=$2 t0 t1 dt rss cpu_cs
	shift 2
	t0=$(date +%s%N)
	"$GNU_TIME" -f '%M %U %S' -o "$work/rss" "$@" >"$out" 2>"$work/stderr" ||
		{ cat "$work/stderr" >&2; die "failed: $*"; }
	t1=$(date +%s%N)
	dt=$((t1 - t0))
	read -r rss cpu_cs <<<"$(tail -n 1 "$work/rss" | awk '{ printf "%d %d", $1, ($2 + $3) * 100 + 0.5 }')"
	ours_cs=$((ours_cs + cpu_cs))
	N[$name]=$((${N[$name]:-0} + 1))
	if [ -z "${BEST[$name]:-}" ] || [ "$dt" -lt "${BEST[$name]}" ]; then
		BEST[$name]=$dt
		C[$name]=$(awk -v c="$cpu_cs" 'BEGIN { printf "%.2f", c / 100 }')
		T[$name]=$(awk -v ns="$dt" 'BEGIN { printf "%.3f", ns / 1e9 }')
	fi
	if [ -z "${R[$name]:-}" ] || [ "$rss" -gt "${R[$name]}" ]; then R[$name]=$rss; fi
}

# CPU ticks of the whole machine (all CPUs): "busy total", from /proc/stat.
ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
read -r b0 t0 <<<"$(ticks)"
sleep 1
read -r b1 t1 <<<"$(ticks)"
busy_before=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", t ? 100 * b / t : 0 }')
if [ "$busy_before" -gt 10 ]; then
	note "warning: the machine is ${busy_before}% busy before the run; timings (-j 2 above all) will suffer"
fi

# Runs are interleaved (one of each command per round), so that load from elsewhere hits
# all of them alike; the best of the rounds is kept.
declare -A CMP DISTINCT OUTBYTES
read -r b0 t0 <<<"$(ticks)"
for x in a b; do
	if [ $x = a ]; then in=$in_a; else in=$in_b; fi
	cat "$in" >/dev/null # page cache
	for ((i = 0; i < REPS_FAST; i++)); do
		once "$x:perl-ne" /dev/null perl -ne '' "$in"
		if [ -n "$scp" ] && [ "$i" -lt "$REPS_SLOW" ]; then
			once "$x:scp" "$work/$x.perl.folded" perl "$scp" "$in"
		fi
		once "$x:fk1" "$work/$x.fk1.folded" "$FLAMEKIT" collapse "$in"
		once "$x:fk2" "$work/$x.fk2.folded" "$FLAMEKIT" collapse -j 2 "$in"
	done
	for k in perl-ne scp fk1 fk2; do
		[ -n "${T[$x:$k]:-}" ] || continue
		note "$(printf '%-10s best of %2d: %7ss (CPU %5ss)  peak RSS %7d KiB' "$x:$k" "${N[$x:$k]}" "${T[$x:$k]}" "${C[$x:$k]}" "${R[$x:$k]}")"
	done
	cmp -s "$work/$x.fk1.folded" "$work/$x.fk2.folded" ||
		die "input ($x): flamekit -j 1 and -j 2 outputs differ"
	if [ -n "$scp" ]; then
		if cmp -s "$work/$x.fk1.folded" "$work/$x.perl.folded"; then
			CMP[$x]="identical"
		else
			CMP[$x]="DIFFERENT"
			note "input ($x): flamekit's output differs from stackcollapse-perf.pl's:"
			diff "$work/$x.perl.folded" "$work/$x.fk1.folded" | head -n 10 >&2 || true
		fi
	fi
	DISTINCT[$x]=$(wc -l <"$work/$x.fk1.folded")
	OUTBYTES[$x]=$(wc -c <"$work/$x.fk1.folded")
done

read -r b1 t1 <<<"$(ticks)"
# Other processes' share of the machine while we measured: busy ticks minus our runs' CPU.
busy_other=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v ours="$ours_cs" -v hz="$hz" \
	'BEGIN { o = t ? 100 * (b - ours * hz / 100) / t : 0; if (o < 0) o = 0; printf "%.0f", o }')
if [ "$busy_other" -gt 10 ]; then
	note "warning: other processes used ~${busy_other}% of the machine during the run"
fi

# ---- report -------------------------------------------------------------------------
mbs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1e6 }'; }
mibs() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; } # speed a vs b = time b / time a
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
fk_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src Makefile 2>/dev/null)" ]; then fk_rev="$fk_rev + uncommitted changes"; fi
perl_v=$(perl -e 'printf "%vd", $^V')
fk_v=$("$FLAMEKIT" --version 2>/dev/null | head -n 1 || true)
[ -n "$fk_v" ] || fk_v="flamekit"

repro="./bench/collapse.sh"
[ "$REPS_FAST" = 11 ] || repro="REPS_FAST=$REPS_FAST $repro"
[ "$REPS_SLOW" = 3 ] || repro="REPS_SLOW=$REPS_SLOW $repro"
[ "$BENCH_MB" = 100 ] || repro="BENCH_MB=$BENCH_MB $repro"
[ "$FLAMEKIT" = build/flamekit ] || repro="FLAMEKIT=$FLAMEKIT $repro"
[ -z "$scp" ] || repro="FLAMEGRAPH_DIR=/path/to/FlameGraph $repro"

echo "### collapse: perf script text to folded stacks"
echo
echo "- Command: \`$repro\` (from the repository root, after \`make\`)"
echo "- Machine: $(nproc) CPUs ($cpu), Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'); CPU busy before the run: ${busy_before}%, other processes' CPU use during it: ~${busy_other}% of the machine"
echo "- flamekit: $fk_v, commit $fk_rev, binary $FLAMEKIT; perl $perl_v"
if [ -n "$scp" ]; then
	echo "- stackcollapse-perf.pl: sha256 $(sha256sum "$scp" | cut -c1-12) (from FLAMEGRAPH_DIR)"
else
	echo "- stackcollapse-perf.pl: **skipped**: $skip_reason"
fi
echo "- Inputs: the $ncaptures captures of \`${COMPAT}/perf-script/inputs\` ($ntxt \`*.txt\`, then \`example-perf-stacks.txt.gz\` unzipped), each followed by an empty line, repeated $reps times:"
echo "  - (a) as captured, $size_a bytes, $((nsamples * reps)) samples; the first event type met is \`$first_event\`, so both tools fold only the $((nfirst * reps)) samples of that event (or with no event field) and skip the rest"
echo "  - (b) every sample folded: the same with each sample header's event rewritten to \`cpu-clock\` ($nchanged header lines per copy changed, no other line), $size_b bytes"
if [ -n "$scp" ]; then best="Best of $REPS_SLOW (stackcollapse-perf.pl) or $REPS_FAST (others)"; else best="Best of $REPS_FAST"; fi
echo "- $best wall-clock runs, interleaved, input in the page cache, output to a file; CPU = user + system seconds of that run (all threads); MB = 10^6 bytes, MiB = 2^20; peak RSS = GNU time's %M, the largest of the runs"
echo
echo "| Input | Command | Best time (s) | CPU (s) | MB/s | MiB/s | Peak RSS (MB) | Speed vs stackcollapse-perf.pl | Speed vs \`perl -ne ''\` |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for x in b a; do
	if [ $x = a ]; then size=$size_a label="(a) as captured"; else size=$size_b label="**(b) every sample folded**"; fi
	for k in perl-ne scp fk1 fk2; do
		[ -n "${T[$x:$k]:-}" ] || continue
		t=${T[$x:$k]}
		case $k in
		perl-ne) cmd="\`perl -ne ''\` (read only)" ;;
		scp) cmd="\`perl stackcollapse-perf.pl\`" ;;
		fk1) cmd="\`flamekit collapse\` (-j 1)" ;;
		fk2) cmd="\`flamekit collapse -j 2\`" ;;
		esac
		if [ -n "${T[$x:scp]:-}" ]; then vs_scp="$(ratio "$t" "${T[$x:scp]}")x"; else vs_scp="n/a"; fi
		vs_ne="$(ratio "$t" "${T[$x:perl-ne]}")x"
		echo "| $label | $cmd | $t | ${C[$x:$k]} | $(mbs "$size" "$t") | $(mibs "$size" "$t") | $(mb "${R[$x:$k]}") | $vs_scp | $vs_ne |"
	done
done
echo
for x in b a; do
	if [ $x = a ]; then label="(a)"; else label="(b)"; fi
	line="- $label: ${DISTINCT[$x]} distinct stacks (${OUTBYTES[$x]} bytes of folded output)"
	line="$line; -j 2 vs -j 1: $(ratio "${T[$x:fk2]}" "${T[$x:fk1]}")x; -j 1 and -j 2 outputs identical"
	if [ -n "$scp" ]; then
		line="$line; flamekit's output vs stackcollapse-perf.pl's (cmp): **${CMP[$x]}**"
	else
		line="$line; not compared with stackcollapse-perf.pl (skipped)"
	fi
	echo "$line"
done

status=0
for x in a b; do
	if [ -n "$scp" ] && [ "${CMP[$x]}" != identical ]; then status=1; fi
done
exit $status
