#!/bin/sh
# The command line: version, help, errors for unknown commands and options.
. "$(dirname "$0")/lib.sh"

version() { "$FK" --version >"$TRASH/out"; grep -Eq '^flamekit [0-9]+\.[0-9]+\.[0-9]+$' "$TRASH/out"; }
test_ok "--version prints the version" version

help() { "$FK" --help >"$TRASH/out"; contains "$TRASH/out" "collapse"; }
test_ok "--help lists the commands" help

collapse_help() {
	"$FK" collapse --help >"$TRASH/out"
	for opt in --pid --tid --kernel --jit --all --addrs --event-filter --inline --context \
		--srcline --format --threads --output --quiet; do
		contains "$TRASH/out" -- "$opt"
	done
}
test_ok "collapse --help lists every option" collapse_help

unknown_cmd() {
	rc=0
	"$FK" frobnicate 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "'frobnicate' is not a flamekit command"
}
test_ok "an unknown command exits 2 with a message" unknown_cmd

unknown_opt() {
	rc=0
	"$FK" collapse --frobnicate </dev/null >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "unknown option --frobnicate" && [ ! -s "$TRASH/out" ]
}
test_ok "an unknown option exits 2 with a message" unknown_opt

bad_threads() {
	rc=0
	"$FK" collapse -j 0 </dev/null 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "-j wants a number"
}
test_ok "-j 0 is refused" bad_threads

prefixes() {
	printf 'a;b 1\n' >"$TRASH/in"
	"$FK" collapse --form=folded --out "$TRASH/o1" "$TRASH/in"
	"$FK" collapse -format folded -o"$TRASH/o2" "$TRASH/in"
	same_file "$TRASH/o1" "$TRASH/o2"
	rc=0
	"$FK" collapse --t "$TRASH/in" 2>"$TRASH/err" || rc=$?
	[ "$rc" -eq 2 ] && contains "$TRASH/err" "ambiguous"
}
test_ok "long options take unique prefixes, one dash and attached values (Getopt::Long)" prefixes

done_testing
