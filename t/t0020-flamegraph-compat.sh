#!/bin/sh
# flamegraph: the same frames as flamegraph.pl (titles, geometry, fills, labels, image
# size) for every case of ../shared/compat/flamegraph/expected/CASES.tsv, compared with
# the corpus's svgframes.py (frame order does not matter: flamegraph.pl draws in hash
# order). Plus: flamekit's output is the same bytes on every run.
. "$(dirname "$0")/lib.sh"
# Every check ends in "|| return 1": test_ok runs the check inside an `if`, where the
# shell ignores set -e, so a failing command in the middle would otherwise go unnoticed.

C="$FK_COMPAT/flamegraph"
if [ ! -f "$C/expected/CASES.tsv" ]; then
	test_skip "flamegraph compat corpus" "no $C (shared/ must sit beside the repo)"
	done_testing
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	test_skip "flamegraph compat corpus" "python3 is needed to run svgframes.py"
	done_testing
	exit 0
fi

# CASES.tsv separates the file name from the options with a tab, but option values may
# contain spaces ("--title My Title"): a value runs until the next --option or input.
split_args() {
	printf '%s\n' "$1" | awk '
	BEGIN {
		n = split("title subtitle width height minwidth fonttype fontsize fontwidth countname nametype colors color bgcolors notes total factor nameattr encoding", v, " ")
		for (k = 1; k <= n; k++) takes["--" v[k]] = 1
	}
	{
		n = split($0, w, " ")
		i = 1
		while (i <= n) {
			t = w[i++]
			print t
			if (t in takes && i <= n) {
				val = w[i++]
				while (i <= n && w[i] !~ /^--/ && w[i] !~ /^inputs\//) val = val " " w[i++]
				print val
			}
		}
	}'
}

compat_case() {
	name=$1
	opts=$2
	want_rc=0
	case "$opts" in
	*" (exit 2)") opts=${opts% (exit 2)}; want_rc=2 ;;
	esac
	split_args "$opts" >"$TRASH/args" || return 1
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <"$TRASH/args"
	rc=0
	(cd "$C" && "$FK" flamegraph "$@") >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		echo "exit $rc, want $want_rc"
		cat "$TRASH/err"
		return 1
	fi
	python3 "$FK_COMPAT/svgframes.py" "$C/expected/$name" >"$TRASH/want" || return 1
	python3 "$FK_COMPAT/svgframes.py" "$TRASH/out.svg" >"$TRASH/got" || return 1
	same_file "$TRASH/want" "$TRASH/got" || return 1
}

tab=$(printf '\t')
while IFS="$tab" read -r name opts; do
	[ -n "$name" ] || continue
	test_ok "flamegraph $name: $opts" compat_case "$name" "$opts"
done <"$C/expected/CASES.tsv"

empty_messages() {
	rc=0
	"$FK" flamegraph "$C/inputs/empty.folded" >"$TRASH/out.svg" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] || return 1
	contains "$TRASH/err" "Ignored 2 lines with invalid format" || return 1
	contains "$TRASH/err" "No stack counts found" || return 1
	contains "$TRASH/out.svg" "ERROR: No valid input provided" || return 1
}
test_ok "no valid line: the messages of flamegraph.pl, an error SVG, exit 2" empty_messages

deterministic() {
	for opts in "" "--colors=java --hash" "--random" "--flamechart" "--reverse --inverted"; do
		# shellcheck disable=SC2086
		"$FK" flamegraph $opts "$C/inputs/vertx.folded" >"$TRASH/a.svg" || return 1
		# shellcheck disable=SC2086
		"$FK" flamegraph $opts "$C/inputs/vertx.folded" >"$TRASH/b.svg" || return 1
		cmp "$TRASH/a.svg" "$TRASH/b.svg" || return 1
	done
}
test_ok "the same input and options give the same bytes" deterministic

done_testing
