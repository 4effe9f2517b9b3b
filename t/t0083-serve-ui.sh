#!/bin/sh
# The web UI of `flamekit serve` (src/server/ui/, embedded in the binary): served at /,
# /app.js and /app.css without a token; driven in headless Chromium by
# tests/browser/serve-ui.test.mjs against a server filled here with curl (two apps;
# shop.cpu with version=v1 and version=v2 in different shares, at different times; a
# frame named like an HTML tag): app picker, flame graph, top table, label picker, zoom,
# links, timeline drag, the v1/v2 diff, names kept as text; and the token prompt of a
# server started with --token.
. "$(dirname "$0")/lib.sh"

BROWSER_DIR="$FK_ROOT/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SHOTS=${FK_BROWSER_OUT:-$FK_BUILD/browser}
DATA=$TRASH/data
mkdir -p "$DATA"
NOW=$(date +%s)

# v1 spends most in parse, v2 in render and gc; v1 also has the hostile frame.
cat >"$DATA/shop-v1.folded" <<'EOF'
main;serve;handle;parse 300
main;serve;handle;render 200
main;serve;db;query 100
main;gc 50
main;serve;<img src=x onerror=alert(1)> 20
EOF
cat >"$DATA/shop-v2.folded" <<'EOF'
main;serve;handle;parse 100
main;serve;handle;render 400
main;serve;db;query 100
main;gc 150
EOF
cat >"$DATA/checkout.folded" <<'EOF'
main;pay;card 50
main;pay;fraud 70
EOF

# ingest NAME FILE FROM UNTIL [curl options]: POSTs a folded file; fails unless 200.
ingest() {
	_name=$1
	_file=$2
	_from=$3
	_until=$4
	shift 4
	_code=$(curl -s -g -o "$TRASH/reply" -w '%{http_code}' "$@" --data-binary "@$_file" \
		"$SERVER_URL/ingest?name=$_name&format=folded&from=$_from&until=$_until")
	[ "$_code" = 200 ] || { echo "ingest $_name: $_code"; cat "$TRASH/reply"; return 1; }
}

have_browser=1
skip_why=""
if ! command -v node >/dev/null 2>&1; then
	have_browser=0
	skip_why="node is not installed"
elif [ ! -x "$CHROMIUM" ]; then
	have_browser=0
	skip_why="no Chromium at $CHROMIUM (apt-get install chromium)"
fi

# playwright-core from tests/browser/package.json
browser_deps() {
	[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] && return 0
	npm ci --prefix "$BROWSER_DIR" --prefer-offline --no-audit --no-fund >"$TRASH/npm" 2>&1 || {
		tail -n 20 "$TRASH/npm"
		return 1
	}
}

start_server --db "$TRASH/ui.db"

fill() {
	ingest 'shop.cpu{version=v1}' "$DATA/shop-v1.folded" $((NOW - 1800)) $((NOW - 1790))
	ingest 'shop.cpu{version=v2}' "$DATA/shop-v2.folded" $((NOW - 300)) $((NOW - 290))
	ingest 'checkout.cpu{env=prod}' "$DATA/checkout.folded" $((NOW - 600)) $((NOW - 590))
}
test_ok "ingest: shop.cpu v1 (30 minutes ago) and v2 (5 minutes ago), checkout.cpu" fill

# the page and its files, as in the tree (the binary embeds them)
assets() {
	for f in / /app.js /app.css; do
		code=$(curl -s -o "$TRASH/asset" -D "$TRASH/headers" -w '%{http_code}' "$SERVER_URL$f")
		[ "$code" = 200 ] || { echo "$f: $code"; return 1; }
		case $f in
		/) src=$FK_ROOT/src/server/ui/index.html type=text/html ;;
		/app.js) src=$FK_ROOT/src/server/ui/app.js type=javascript ;;
		/app.css) src=$FK_ROOT/src/server/ui/app.css type=text/css ;;
		esac
		same_file "$src" "$TRASH/asset"
		grep -i '^content-type:' "$TRASH/headers" | grep -qi "$type" || { echo "$f:"; cat "$TRASH/headers"; return 1; }
	done
	# nothing loaded from elsewhere
	! grep -Eq '(src|href)="(https?:)?//' "$FK_ROOT/src/server/ui/index.html"
	! grep -Eq 'https?://' "$FK_ROOT/src/server/ui/app.css"
}
test_ok "/, /app.js and /app.css are the files of src/server/ui/ (no external URLs)" assets

ui() {
	browser_deps
	FK_UI_DATA="$DATA" CHROMIUM="$CHROMIUM" \
		node "$BROWSER_DIR/serve-ui.test.mjs" "$SERVER_URL" "$SHOTS"
}
if [ $have_browser = 1 ]; then
	test_ok "the UI in headless Chromium: apps, graph, table, labels, zoom, link, timeline drag, diff, hostile name as text" ui
else
	test_skip "the UI in headless Chromium" "$skip_why"
fi

TOKEN=ui-secret-token
start_server --db "$TRASH/token.db" --token "$TOKEN"

token_assets() {
	ingest 'shop.cpu{version=v1}' "$DATA/shop-v1.folded" $((NOW - 600)) $((NOW - 590)) -H "Authorization: Bearer $TOKEN"
	for f in / /app.js /app.css; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$SERVER_URL$f")
		[ "$code" = 200 ] || { echo "$f without a token: $code"; return 1; }
	done
	code=$(curl -s -g -o /dev/null -w '%{http_code}' "$SERVER_URL/api/apps")
	[ "$code" = 401 ] || { echo "/api/apps without a token: $code"; return 1; }
}
test_ok "--token: the UI's files need no token, the data does" token_assets

ui_token() {
	browser_deps
	FK_UI_TOKEN="$TOKEN" CHROMIUM="$CHROMIUM" \
		node "$BROWSER_DIR/serve-ui.test.mjs" "$SERVER_URL" "$SHOTS"
}
if [ $have_browser = 1 ]; then
	test_ok "--token in headless Chromium: a 401 asks for the token, a wrong one asks again, then every call sends it" ui_token
else
	test_skip "--token in headless Chromium" "$skip_why"
fi

done_testing
