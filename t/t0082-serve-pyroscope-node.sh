#!/bin/sh
# The real Grafana Pyroscope Node.js client (@pyroscope/nodejs 0.6.4 from npm, unchanged)
# pushes wall and CPU-time profiles of a program doing work 1:3 in two functions to
# flamekit serve: the server stores one series per sample type (APP.wall, APP.cpu,
# APP.samples) with the client's tags as labels, and the queried profile shows the 1:3
# split; with --token the client's authToken is what lets it in.
. "$(dirname "$0")/lib.sh"

NODE_DIR=$FK_ROOT/tests/node-pyroscope

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 ||
	! command -v curl >/dev/null 2>&1; then
	test_skip "@pyroscope/nodejs pushes to flamekit serve" "no node, npm or curl"
	done_testing
	exit
fi
if ! npm ci --prefix "$NODE_DIR" --prefer-offline --no-audit --no-fund >"$TRASH/npm" 2>&1 ||
	[ ! -f "$NODE_DIR/node_modules/@pyroscope/nodejs/package.json" ]; then
	test_skip "@pyroscope/nodejs pushes to flamekit serve" "npm ci --prefix tests/node-pyroscope failed (offline?): $(tail -n 1 "$TRASH/npm")"
	done_testing
	exit
fi

start_server --db "$TRASH/db" --token tok3n
push_rc=0
node "$NODE_DIR/pyroscope_push.js" "$SERVER_URL" nodeapp 4 tok3n >"$TRASH/push.log" 2>&1 || push_rc=$?

api() {
	curl -s -g -H 'Authorization: Bearer tok3n' "$SERVER_URL$1"
}

t_series() {
	[ "$push_rc" -eq 0 ] || { cat "$TRASH/push.log"; false; }
	api /api/apps >"$TRASH/apps"
	python3 - "$TRASH/apps" <<-'PY'
	import json, sys
	apps = {a["name"]: a for a in json.load(open(sys.argv[1]))}
	assert sorted(apps) == ["nodeapp.cpu", "nodeapp.samples", "nodeapp.wall"], sorted(apps)
	assert apps["nodeapp.wall"]["units"] == "nanoseconds", apps
	assert apps["nodeapp.samples"]["units"] == "samples", apps
	assert apps["nodeapp.wall"]["spyName"] == "nodespy", apps
	PY
	api "/label-values?label=region" >"$TRASH/region"
	[ "$(cat "$TRASH/region")" = '["test"]' ] || { cat "$TRASH/region"; false; }
	api "/label-values?label=version&query=nodeapp.wall{}" >"$TRASH/version"
	[ "$(cat "$TRASH/version")" = '["v1"]' ] || { cat "$TRASH/version"; false; }
}
test_ok "the client's pushes are stored as nodeapp.wall / .cpu / .samples with its tags" t_series

t_shares() {
	for type in wall cpu samples; do
		api "/render?query=nodeapp.$type{region=\"test\"}&from=now-10m&until=now&format=folded" >"$TRASH/$type.folded"
		light=$(awk '/:burnLight:/ { s += $NF } END { print s + 0 }' "$TRASH/$type.folded")
		heavy=$(awk '/:burnHeavy:/ { s += $NF } END { print s + 0 }' "$TRASH/$type.folded")
		echo "$type: burnLight $light, burnHeavy $heavy (work 1:3)"
		awk -v l="$light" -v h="$heavy" 'BEGIN { exit !(l > 0 && h >= 2 * l && h <= 4.5 * l) }'
	done
}
test_ok "the merged profiles show the program's 1:3 split (wall, cpu and samples)" t_shares

t_auth() {
	# without the token the same client is refused (it logs the 401 and goes on)
	api "/render?query=nodeapp.wall{}&from=now-10m&until=now&format=folded" | awk '{ s += $NF } END { print s + 0 }' >"$TRASH/before"
	DEBUG=pyroscope node "$NODE_DIR/pyroscope_push.js" "$SERVER_URL" nodeapp 2 >"$TRASH/push2.log" 2>&1 || { cat "$TRASH/push2.log"; false; }
	api "/render?query=nodeapp.wall{}&from=now-10m&until=now&format=folded" | awk '{ s += $NF } END { print s + 0 }' >"$TRASH/after"
	same_file "$TRASH/before" "$TRASH/after"
	contains "$TRASH/push2.log" "Server rejected data ingest: HTTP 401"
	grep -c ' 401 ' "$SERVER_LOG" >/dev/null || true
}
test_ok "without its authToken the client's pushes are refused (401) and nothing is stored" t_auth

done_testing
