#!/bin/sh
# The flame graph viewer (src/output/viewer/) in headless Chromium: runs the node tests
# in tests/browser/viewer.test.mjs (hover, zoom, search, URL state, icicle graphs, a
# hostile frame name, 20,000-frame timings, a screenshot) on SVGs drawn by
# `flamekit flamegraph`, and reports each node test as one TAP line here; node's own
# report follows as comments. Timings and the screenshot land in $FK_BUILD/browser/.
# Needs node and chromium (packages.txt); playwright-core comes from
# tests/browser/package-lock.json via `npm ci` (from npm's cache when offline).
# While flamekit cannot draw (no `flamegraph` command yet), the SVGs come from
# flamegraph.pl with the viewer put in its place: a development mode, said so below.
. "$(dirname "$0")/lib.sh"

BROWSER_DIR="$FK_ROOT/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
FLAMEGRAPH_PL=${FLAMEGRAPH_PL:-$FK_ROOT/../fg/flamegraph.pl}

skip_all() {
	test_skip "flame graph viewer in headless Chromium" "$1"
	done_testing
	exit 0
}

command -v node >/dev/null 2>&1 || skip_all "node is not installed"
command -v npm >/dev/null 2>&1 || skip_all "npm is not installed"
[ -x "$CHROMIUM" ] || skip_all "no Chromium at $CHROMIUM (apt-get install chromium)"

if "$FK" flamegraph --help >/dev/null 2>&1; then
	source=flamekit
elif [ -f "$FLAMEGRAPH_PL" ] && command -v perl >/dev/null 2>&1; then
	source=flamegraph.pl
	echo "# development mode: $FK has no flamegraph command; testing the viewer in flamegraph.pl's SVGs"
else
	skip_all "$FK has no flamegraph command and there is no flamegraph.pl to stand in"
fi

# playwright-core, exactly as locked; from the npm cache when there is no network.
if ! npm ci --prefix "$BROWSER_DIR" --prefer-offline --no-audit --no-fund >"$TRASH/npm" 2>&1; then
	if [ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ]; then
		echo "# npm ci failed (offline?); using the playwright-core already installed"
	else
		test_count=$((test_count + 1))
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - npm ci --prefix tests/browser"
		sed 's/^/# /' "$TRASH/npm" | tail -n 20
		done_testing
		exit 1
	fi
fi

rc=0
FK="$FK" FK_BUILD="$FK_BUILD" FK_COMPAT="$FK_COMPAT" FK_ROOT="$FK_ROOT" \
	FK_BROWSER_OUT="$FK_BUILD/browser" FK_VIEWER_SOURCE="$source" \
	FLAMEGRAPH_PL="$FLAMEGRAPH_PL" CHROMIUM="$CHROMIUM" \
	node --test --test-reporter=tap "$BROWSER_DIR/viewer.test.mjs" >"$TRASH/tap" 2>&1 || rc=$?

# One line here per top-level node test, node's numbering and indentation dropped.
seen=0
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*|"not ok "[0-9]*)
		seen=$((seen + 1))
		test_count=$((test_count + 1))
		status=${line%%ok *}ok
		desc=$(printf '%s\n' "$line" | sed 's/^\(not \)\{0,1\}ok [0-9]* - //')
		echo "$status $test_count - viewer: $desc"
		[ "$status" = "not ok" ] && test_failed=$((test_failed + 1))
		;;
	"TAP version"* | "1.."* | "# Subtest: "*) ;;
	"#"*) printf '%s\n' "$line" ;;
	*) printf '# %s\n' "$line" ;;
	esac
done <"$TRASH/tap"

if [ "$seen" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$test_failed" -eq 0 ]; }; then
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	echo "not ok $test_count - node --test tests/browser/viewer.test.mjs (exit $rc)"
fi
done_testing
