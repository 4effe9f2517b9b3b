#!/bin/sh
# fuzz.sh: builds and runs flamekit's libFuzzer targets (`make fuzz` calls it).
#   scripts/fuzz.sh SECONDS TARGET...     e.g. scripts/fuzz.sh 60 perf dtrace
# TARGET is the NAME of fuzz/fuzz_NAME.c. Each target is built with clang
# (-fsanitize=fuzzer,address,undefined) together with every library source into
# build-fuzz/, then run for SECONDS seconds on a fresh copy of its seed corpus
# fuzz/corpus/NAME/ (build-fuzz/corpus/NAME; new inputs found stay there until the next
# run). Logs go to build-fuzz/logs/NAME.log, crashing inputs to
# build-fuzz/artifacts/NAME/. Exits 1 if any target crashed (or failed to build).
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS=-jobs=4).
set -eu
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift
case $seconds in
'' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

CC=${FUZZ_CC:-clang}
OUT=build-fuzz
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (install clang and libclang-rt-14-dev)" >&2; exit 1; }

PKG_CFLAGS=$(pkg-config --cflags libdw libelf zlib jansson libprotobuf-c libmicrohttpd sqlite3 libcurl libpq 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs libdw libelf zlib jansson libprotobuf-c libmicrohttpd sqlite3 libcurl libpq 2>/dev/null || echo "-ldw -lelf -lz -ljansson -lprotobuf-c -lmicrohttpd -lsqlite3 -lcurl -lpq")
CFLAGS="-std=c11 -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -DFK_VERSION=\"fuzz\" $PKG_CFLAGS"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

mkdir -p "$OUT/obj" "$OUT/logs"

# The library, instrumented for coverage, with the generated sources the Makefile makes:
# the viewer's files embedded, and pprof's message types from src/proto/profile.proto.
srcs=""
for src in src/util/*.c src/stack/*.c src/input/*.c src/output/*.c src/symbol/*.c src/sample/*.c src/server/*.c src/agent/*.c; do
	[ -f "$src" ] && srcs="$srcs $src"
done
mkdir -p "$OUT/gen"
sh scripts/embed-assets.sh "$OUT/gen/viewer_assets.c" src/output/viewer/*
sh scripts/embed-assets.sh "$OUT/gen/ui_assets.c" src/server/ui/*
protoc-c --c_out="$OUT/gen" --proto_path=src/proto src/proto/profile.proto
srcs="$srcs $OUT/gen/viewer_assets.c $OUT/gen/ui_assets.c $OUT/gen/profile.pb-c.c"
CFLAGS="$CFLAGS -I$OUT/gen"
objs=""
for src in $srcs; do
	obj=$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	objs="$objs $obj"
	# shellcheck disable=SC2086
	$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || {
		echo "fuzz: cannot compile $src" >&2
		exit 1
	}
done

status=0
for t in "$@"; do
	t=${t#fuzz_}
	t=${t%.c}
	bin=$OUT/fuzz_$t
	if [ ! -f "fuzz/fuzz_$t.c" ]; then
		echo "fuzz: no fuzz/fuzz_$t.c" >&2
		status=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $SAN -fsanitize=fuzzer "fuzz/fuzz_$t.c" $objs -o "$bin" $PKG_LIBS -liberty -lpthread -lm; then
		echo "fuzz: cannot build $bin" >&2
		status=1
		continue
	fi
	corpus=$OUT/corpus/$t
	artifacts=$OUT/artifacts/$t
	log=$OUT/logs/$t.log
	rm -rf "$corpus" "$artifacts"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "fuzz/corpus/$t" ]; then
		cp fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
	fi
	echo "fuzz: $t: running for ${seconds}s (log: $log)"
	rc=0
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	units=$(find "$corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $t: ok: ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?} edges, corpus $units inputs"
	else
		status=1
		echo "fuzz: $t: FAILED (exit $rc) after ${runs:-?} runs; crashing input(s):" >&2
		ls "$artifacts" >&2 || true
		grep -E 'ERROR: |SUMMARY: |fuzz: output differs|runtime error' "$log" | head -n 5 >&2 || true
		echo "fuzz: $t: reproduce with: $bin $artifacts/<file>" >&2
	fi
done
exit $status
