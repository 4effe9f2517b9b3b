#!/bin/sh
# make install with DESTDIR and PREFIX: the binary, the links named after the Perl
# scripts (which act as the matching subcommands), the preload library of record --alloc,
# the man page and bash completion.
. "$(dirname "$0")/lib.sh"

install_tree() {
	make -C "$FK_ROOT" --no-print-directory BUILD="$FK_BUILD" DESTDIR="$TRASH/root" PREFIX=/opt/fk install >"$TRASH/make.log" 2>&1
	for f in bin/flamekit bin/stackcollapse-perf bin/stackcollapse bin/flamegraph bin/difffolded \
		share/man/man1/flamekit.1 share/bash-completion/completions/flamekit \
		lib/flamekit/libflamekit-preload.so; do
		[ -e "$TRASH/root/opt/fk/$f" ] || { echo "missing $f"; return 1; }
	done
	[ "$(readlink "$TRASH/root/opt/fk/bin/flamegraph")" = flamekit ]
}
test_ok "make install puts everything under DESTDIR/PREFIX" install_tree

links() {
	B="$TRASH/root/opt/fk/bin"
	printf 'app 1 1.0: 1 cpu-clock:\n\t1 f (/x)\n\t2 main (/x)\n\n' >"$TRASH/in.perf"
	"$B/stackcollapse-perf" --pid "$TRASH/in.perf" >"$TRASH/out"
	printf 'app-?;main;f 1\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	printf 'a;b 1\n' >"$TRASH/b.folded"
	printf 'a;b 2\n' >"$TRASH/a.folded"
	"$B/difffolded" -n "$TRASH/b.folded" "$TRASH/a.folded" >"$TRASH/out"
	printf 'a;b 2 2\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
	printf 'header\nheader\nheader\n  libc`f+0x1\n  app`main+0x2\n  3\n' >"$TRASH/d.txt"
	"$B/stackcollapse" "$TRASH/d.txt" >"$TRASH/out"
	printf 'app`main;libc`f 3\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "the links act as stackcollapse-perf.pl, stackcollapse.pl and difffolded.pl" links

installed_alloc() {
	# the installed binary finds its preload library in ../lib/flamekit
	"$TRASH/root/opt/fk/bin/flamekit" record -q --alloc -o "$TRASH/inst.folded" -- \
		"$FK_FIXTURES/alloc_fixture" alloc
	grep -q ';alloc_big' "$TRASH/inst.folded"
}
test_ok "the installed flamekit record --alloc finds lib/flamekit/libflamekit-preload.so" installed_alloc

man_page() {
	man -l "$TRASH/root/opt/fk/share/man/man1/flamekit.1" >"$TRASH/man.txt" 2>/dev/null ||
		groff -man -Tutf8 "$TRASH/root/opt/fk/share/man/man1/flamekit.1" >"$TRASH/man.txt" 2>/dev/null ||
		cp "$TRASH/root/opt/fk/share/man/man1/flamekit.1" "$TRASH/man.txt"
	contains "$TRASH/man.txt" "collapse"
}
test_ok "the man page renders" man_page

completion() {
	bash -c ". '$TRASH/root/opt/fk/share/bash-completion/completions/flamekit'
		COMP_WORDS=(flamekit col); COMP_CWORD=1; _flamekit; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(flamekit diff --nor); COMP_CWORD=2; _flamekit; echo \"\${COMPREPLY[*]}\"" >"$TRASH/out"
	printf 'collapse\n--normalize\n' >"$TRASH/expected"
	same_file "$TRASH/expected" "$TRASH/out"
}
test_ok "bash completion completes commands and options" completion

uninstall() {
	make -C "$FK_ROOT" --no-print-directory BUILD="$FK_BUILD" DESTDIR="$TRASH/root" PREFIX=/opt/fk uninstall >/dev/null 2>&1
	[ -z "$(find "$TRASH/root" -type f -o -type l)" ]
}
test_ok "make uninstall removes it all" uninstall

done_testing
