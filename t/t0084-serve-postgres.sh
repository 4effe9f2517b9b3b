#!/bin/sh
# flamekit serve on PostgreSQL (--db postgresql://...), against a real server started
# here (Debian's packages, loopback, fsync on): the schema is created on an empty
# database, once when two servers start at once, and reused on restart; two replicas on
# one database agree (what one ingests, the other renders exactly, both ways; both ingesting
# at once, every acknowledged profile is there, counted once, and /render json,
# /label-values, /label-names and /api/apps are identical on both); kill -9 of a replica
# under load loses no acknowledged profile; compaction gives what SQLite's gives for the
# same pushes; bad DSNs and a server that is down give a clear error without the password;
# a newer schema is refused; a restart of PostgreSQL under a running server is survived. Also runs the store's unit tests on this server
# (build/tests/test_store with PG_URL). Skips when PostgreSQL cannot run here.
. "$(dirname "$0")/lib.sh"

PUSH=$FK_BUILD/tools/fk-push
BASE=1600000000 # fixed times, far in the past (compaction downsamples them)

if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	test_skip "flamekit serve on PostgreSQL" "curl or python3 is not installed"
	done_testing
	exit
fi
if ! start_postgres; then
	test_skip "flamekit serve on PostgreSQL" "$PG_SKIP"
	done_testing
	exit
fi

# db_url NAME: PG_URL naming database NAME (created empty).
db_url() {
	pg_sql "CREATE DATABASE $1" >/dev/null
	echo "${PG_URL%/*}/$1"
}
# render URL QUERY OUT [FORMAT]: /render of QUERY over the whole test range (sorted when
# folded).
render() {
	curl -sf -g "$1/render?query=$2&from=$((BASE - 100000))&until=$((BASE + 100000))&format=${4:-folded}" >"$3.raw"
	if [ "${4:-folded}" = folded ]; then LC_ALL=C sort "$3.raw" >"$3"; else mv "$3.raw" "$3"; fi
}
# Sums folded lines per stack, sorted.
sum_folded() {
	awk '{ c = $NF; sub(/ [^ ]*$/, ""); s[$0] += c } END { for (k in s) print k " " s[k] }' "$@" |
		LC_ALL=C sort
}
ingest() { # URL NAME FROM FILE
	code=$(curl -s -g -o "$TRASH/reply" -w '%{http_code}' --data-binary "@$4" \
		"$1/ingest?name=$2&from=$3&until=$(($3 + 10))&format=folded")
	[ "$code" = 200 ] || { echo "ingest: HTTP $code: $(cat "$TRASH/reply")"; return 1; }
}
# acked_stacks FILE: the unique stacks of the profiles fk-push acknowledged, sorted.
acked_stacks() {
	awk '{ print "push;client_" $1 ";profile_" $2 " 1" }' "$1" | LC_ALL=C sort
}

DB1=$(db_url replicas)

# ---- schema ----
start_server --db "$DB1" --compact-every 3600
R1_URL=$SERVER_URL R1_PID=$SERVER_PID
t_schema() {
	[ "$(pg_sql "SELECT value FROM meta WHERE key = 'schema_version'" replicas)" = 1 ]
	tables=$(pg_sql "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables
		WHERE schemaname = 'public'" replicas)
	[ "$tables" = "labels,meta,profiles,series,stacks,strings" ] || { echo "tables: $tables"; false; }
	contains "$SERVER_LOG" "listening on"
}
test_ok "the schema is created on an empty database (schema_version 1)" t_schema

start_server --db "$DB1" --compact-every 3600
R2_URL=$SERVER_URL R2_PID=$SERVER_PID

# ---- one replica ingests, the other renders ----
printf 'main;parse;lex 3\nmain;parse 2\nmain;eval;call 0.5\nother thread;with spaces 7\n' >"$TRASH/a.folded"
printf 'main;parse;lex 1\nmain;new;frames;only;here 4\nzz 1\n' >"$TRASH/b.folded"
printf 'main;parse 10\nmain;eval;call 0.25\nreverse;from;two 2\n' >"$TRASH/c.folded"
t_cross() {
	ingest "$R1_URL" 'x.cpu{env=prod}' $BASE "$TRASH/a.folded"
	ingest "$R1_URL" 'x.cpu{env=prod}' $((BASE + 10)) "$TRASH/b.folded"
	sum_folded "$TRASH/a.folded" "$TRASH/b.folded" >"$TRASH/want"
	render "$R2_URL" 'x.cpu{}' "$TRASH/got"
	same_file "$TRASH/want" "$TRASH/got"
	# the reverse: replica 2 (whose ids were handed out before these names existed)
	ingest "$R2_URL" 'x.cpu{env=prod}' $((BASE + 20)) "$TRASH/c.folded"
	sum_folded "$TRASH/a.folded" "$TRASH/b.folded" "$TRASH/c.folded" >"$TRASH/want"
	render "$R1_URL" 'x.cpu{}' "$TRASH/got1"
	render "$R2_URL" 'x.cpu{}' "$TRASH/got2"
	same_file "$TRASH/want" "$TRASH/got1"
	same_file "$TRASH/want" "$TRASH/got2"
}
test_ok "ingest on replica 1, /render on replica 2 is exactly what was ingested (and the reverse)" t_cross

# ---- both replicas ingest at once ----
"$PUSH" --url "$R1_URL" --app both --clients 8 --profiles 1600 --stacks 50 --from-base $BASE \
	--acked "$TRASH/acked1" >"$TRASH/push1.out" 2>&1 &
p1=$!
"$PUSH" --url "$R2_URL" --app both --clients 8 --client-offset 8 --profiles 1600 --stacks 50 \
	--from-base $BASE --acked "$TRASH/acked2" >"$TRASH/push2.out" 2>&1
rc2=$?
rc1=0
wait $p1 || rc1=$?
t_both_ingest() {
	cat "$TRASH/push1.out" "$TRASH/push2.out"
	[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
	[ "$(cat "$TRASH/acked1" "$TRASH/acked2" | sort -u | wc -l)" -eq 3200 ]
	render "$R1_URL" 'both.cpu{}' "$TRASH/both1"
	render "$R2_URL" 'both.cpu{}' "$TRASH/both2"
	same_file "$TRASH/both1" "$TRASH/both2"
	cat "$TRASH/acked1" "$TRASH/acked2" >"$TRASH/acked"
	acked_stacks "$TRASH/acked" >"$TRASH/want"
	grep '^push;client_' "$TRASH/both1" >"$TRASH/got"
	same_file "$TRASH/want" "$TRASH/got"
	# the 49 shared stacks count 1 + i % 7 in each of the 3,200 profiles
	awk 'BEGIN { for (i = 0; i < 49; i++) print i, 3200 * (1 + i % 7) }' >"$TRASH/want_shared"
	sed -n 's/^main;run;svc_[0-9]*;.*leaf_\([0-9]*\) \([0-9]*\)$/\1 \2/p' "$TRASH/both1" |
		sort -n >"$TRASH/got_shared"
	same_file "$TRASH/want_shared" "$TRASH/got_shared"
}
test_ok "both replicas ingesting at once (8 + 8 clients): every acknowledged profile, counted once, on both" t_both_ingest

t_agree() {
	for q in "/render?query=both.cpu%7B%7D&from=$BASE&until=$((BASE + 16000))&format=json" \
		"/render?query=both.cpu%7Bclient%3D%223%22%7D&from=$BASE&until=$((BASE + 16000))&format=json&maxNodes=8" \
		"/label-values?label=client" "/label-values?label=__name__" "/label-names" "/api/apps"; do
		curl -sf -g "$R1_URL$q" >"$TRASH/r1"
		curl -sf -g "$R2_URL$q" >"$TRASH/r2"
		[ -s "$TRASH/r1" ] || { echo "$q: empty"; false; }
		same_file "$TRASH/r1" "$TRASH/r2" || { echo "differ: $q"; false; }
	done
	curl -sf "$R1_URL/label-values?label=client" |
		python3 -c 'import json,sys; v = json.load(sys.stdin); assert len(v) == 16, v'
}
test_ok "/render json, /label-values, /label-names and /api/apps are identical on both replicas" t_agree

# ---- restart: the schema is reused, the data kept ----
kill -TERM "$R1_PID"
wait "$R1_PID"
start_server --db "$DB1" --compact-every 3600
R1_URL=$SERVER_URL R1_PID=$SERVER_PID
t_restart() {
	render "$R1_URL" 'both.cpu{}' "$TRASH/again"
	same_file "$TRASH/both1" "$TRASH/again"
	n=$(pg_sql "SELECT count(*) FROM meta" replicas)
	[ "$n" -eq 2 ]
}
test_ok "a restarted replica reuses the schema and has every profile" t_restart

# ---- kill -9 a replica under load ----
: >"$TRASH/acked_k"
"$PUSH" --url "$R1_URL" --app crash --clients 16 --profiles 6400 --stacks 50 --from-base $BASE \
	--acked "$TRASH/acked_k" --tolerate-errors >"$TRASH/push_k.out" 2>&1 &
push_pid=$!
tries=0
while [ "$(wc -l <"$TRASH/acked_k")" -lt 300 ] && [ $tries -lt 3000 ]; do
	sleep 0.01
	tries=$((tries + 1))
done
kill -9 "$R1_PID"
wait "$R1_PID" 2>/dev/null
wait "$push_pid"
t_kill9() {
	n=$(wc -l <"$TRASH/acked_k")
	echo "acknowledged before kill -9: $n of 6400"
	[ "$n" -ge 300 ] && [ "$n" -lt 6400 ]
	acked_stacks "$TRASH/acked_k" >"$TRASH/want"
	render "$R2_URL" 'crash.cpu{}' "$TRASH/crash"
	grep '^push;client_' "$TRASH/crash" >"$TRASH/got" || true
	missing=$(LC_ALL=C comm -23 "$TRASH/want" "$TRASH/got" | wc -l)
	[ "$missing" -eq 0 ] || { echo "$missing acknowledged profiles lost"; false; }
	# replica 2 still ingests, and the data of before is intact
	ingest "$R2_URL" 'after.cpu{}' $BASE "$TRASH/a.folded"
	render "$R2_URL" 'both.cpu{}' "$TRASH/again2"
	same_file "$TRASH/both1" "$TRASH/again2"
}
test_ok "kill -9 of a replica under load: every acknowledged profile is there (read on the other)" t_kill9

# ---- compaction: the same result as SQLite's ----
DBC=$(db_url compaction)
start_server --db "$DBC" --compact-every 1
PGC_URL=$SERVER_URL
start_server --db "$TRASH/compaction.db" --compact-every 1
SQC_URL=$SERVER_URL SQC_LOG=$SERVER_LOG
"$PUSH" --url "$PGC_URL" --app cmp --clients 4 --profiles 800 --stacks 30 --from-base $BASE >"$TRASH/pc1.out" 2>&1
"$PUSH" --url "$SQC_URL" --app cmp --clients 4 --profiles 800 --stacks 30 --from-base $BASE >"$TRASH/pc2.out" 2>&1
for u in "$PGC_URL" "$SQC_URL"; do # and a second profile in some windows
	ingest "$u" 'cmp.cpu{client=1}' $((BASE + 10)) "$TRASH/b.folded"
	ingest "$u" 'cmp.cpu{client=2}' $((BASE + 25)) "$TRASH/c.folded"
done
pg_rows() { pg_sql "SELECT count(*) FROM profiles" compaction; }
sq_rows() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM profiles").fetchone()[0])' "$TRASH/compaction.db"; }
t_compaction() {
	cat "$TRASH/pc1.out" "$TRASH/pc2.out"
	# wait (at most 60 s) until both compacted everything: the 802 profiles of 10 s, from
	# BASE to BASE + 7,990 (years ago), go into 1-hour windows: 3 hours x 4 series
	tries=0
	while { [ "$(pg_rows)" -ne 12 ] || [ "$(sq_rows)" -ne 12 ]; } && [ $tries -lt 600 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
	echo "rows after compaction: PostgreSQL $(pg_rows), SQLite $(sq_rows)"
	[ "$(pg_rows)" -eq 12 ] && [ "$(sq_rows)" -eq 12 ]
	render "$PGC_URL" 'cmp.cpu{}' "$TRASH/cpg"
	render "$SQC_URL" 'cmp.cpu{}' "$TRASH/csq"
	[ -s "$TRASH/cpg" ]
	same_file "$TRASH/csq" "$TRASH/cpg"
	render "$PGC_URL" 'cmp.cpu{}' "$TRASH/jpg" json
	render "$SQC_URL" 'cmp.cpu{}' "$TRASH/jsq" json
	same_file "$TRASH/jsq" "$TRASH/jpg"
}
test_ok "compaction on PostgreSQL: the same windows and /render (folded, json) as SQLite for the same pushes" t_compaction

# ---- errors ----
t_errors() {
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "postgresql://flamekit:s3cretpw@127.0.0.1:1/postgres" 2>"$TRASH/err1" || rc=$?
	cat "$TRASH/err1"
	[ "$rc" -ne 0 ]
	contains "$TRASH/err1" "postgresql://flamekit:***@127.0.0.1:1/postgres: cannot connect"
	! grep -q s3cret "$TRASH/err1"
	[ "$(wc -l <"$TRASH/err1")" -eq 1 ]
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "postgres://flamekit:s3cretpw@127.0.0.1:$PG_PORT/no_such_db" 2>"$TRASH/err2" || rc=$?
	cat "$TRASH/err2"
	[ "$rc" -ne 0 ]
	contains "$TRASH/err2" 'database "no_such_db" does not exist'
	! grep -q s3cret "$TRASH/err2"
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "postgresql://flamekit:s3cret%zz@127.0.0.1:$PG_PORT/postgres" 2>"$TRASH/err3" || rc=$?
	cat "$TRASH/err3"
	[ "$rc" -ne 0 ]
	! grep -q s3cret "$TRASH/err3"
}
test_ok "server down, unknown database, bad URI: a one-line error without the password, exit 1" t_errors

DBN=$(db_url newer)
t_newer() {
	"$FK" serve --listen 127.0.0.1:0 --db "$DBN" 2>"$TRASH/newer.log" &
	pid=$!
	tries=0
	until grep -q 'listening on' "$TRASH/newer.log" || [ $tries -gt 1500 ]; do sleep 0.02; tries=$((tries + 1)); done
	kill -TERM $pid
	wait $pid
	pg_sql "UPDATE meta SET value = '2' WHERE key = 'schema_version'" newer
	rc=0
	"$FK" serve --listen 127.0.0.1:0 --db "$DBN" 2>"$TRASH/newer.err" || rc=$?
	cat "$TRASH/newer.err"
	[ "$rc" -ne 0 ]
	contains "$TRASH/newer.err" "store schema version 2 is newer than this flamekit's (1)"
}
test_ok "a store of a newer schema version is refused" t_newer

# Two servers starting at once on an empty database: one creates the schema, both run.
DBR=$(db_url race)
"$FK" serve --listen 127.0.0.1:0 --db "$DBR" 2>"$TRASH/race1.log" &
SERVER_PIDS="$SERVER_PIDS $!"
"$FK" serve --listen 127.0.0.1:0 --db "$DBR" 2>"$TRASH/race2.log" &
SERVER_PIDS="$SERVER_PIDS $!"
t_race() {
	tries=0
	until grep -q 'listening on' "$TRASH/race1.log" && grep -q 'listening on' "$TRASH/race2.log"; do
		tries=$((tries + 1))
		[ $tries -lt 1500 ] || { cat "$TRASH/race1.log" "$TRASH/race2.log"; false; }
		sleep 0.02
	done
	[ "$(pg_sql "SELECT count(*) FROM meta" race)" -eq 2 ]
}
test_ok "two servers starting at once on an empty database create the schema once" t_race

# PostgreSQL restarted under a running replica: it reconnects (its connections were cut).
t_pg_restart() {
	restart_postgres
	ingest "$R2_URL" 'restart.cpu{}' $BASE "$TRASH/a.folded"
	render "$R2_URL" 'restart.cpu{}' "$TRASH/rs"
	sum_folded "$TRASH/a.folded" | same_file - "$TRASH/rs"
	render "$R2_URL" 'both.cpu{}' "$TRASH/again3"
	same_file "$TRASH/both1" "$TRASH/again3"
}
test_ok "PostgreSQL restarted under a running server: it reconnects, ingests and renders" t_pg_restart

# ---- alerts with two replicas: one evaluates and notifies, the other stands by ----
python3 "$FK_ROOT/tests/tools/webhook_receiver.py" --port-file "$TRASH/hook.port" \
	--out "$TRASH/hook.jsonl" &
SERVER_PIDS="$SERVER_PIDS $!"
# alerts_of URL: "STATUS STATE" of the rule "reg" on that server's /alerts.
alerts_of() {
	curl -s -g "$1/alerts" | python3 -c 'import json, sys
a = [r for r in json.load(sys.stdin) if r["alert"] == "reg"][0]
print(a["status"], a["state"])'
}
# firings: how many "firing" POSTs the receiver got.
firings() { grep -c '\\"state\\":\\"firing\\"' "$TRASH/hook.jsonl" 2>/dev/null || true; }
t_alerts_one_leader() {
	tries=0
	while [ ! -s "$TRASH/hook.port" ] && [ $tries -lt 250 ]; do sleep 0.02; tries=$((tries + 1)); done
	hook="http://127.0.0.1:$(cat "$TRASH/hook.port")/hook"
	url=$(db_url alerts)
	rule='alert=reg name=checkout.cpu{} fn=queryDB grow>20% window=10m baseline=1h'
	# (this runs in a subshell: the script's EXIT trap does not know these servers)
	trap 'for p in $a_pid $b_pid; do kill -9 "$p" 2>/dev/null || true; done' EXIT
	start_server --db "$url" --alert "$rule" --alert-every 1 --webhook "$hook" || return 1
	a_pid=$SERVER_PID a_url=$SERVER_URL a_log=$SERVER_LOG
	start_server --db "$url" --alert "$rule" --alert-every 1 --webhook "$hook" || return 1
	b_pid=$SERVER_PID b_url=$SERVER_URL b_log=$SERVER_LOG
	# a baseline hour with queryDB at 30%, the latest 10 minutes at 39%, pushed to a
	now=$(date +%s)
	printf 'main;handle;queryDB 300\nmain;handle;render 700\n' >"$TRASH/p30"
	printf 'main;handle;queryDB 390\nmain;handle;render 610\n' >"$TRASH/p39"
	for t in $((now - 3000)) $((now - 2400)) $((now - 1800)) $((now - 1200)); do
		curl -sf --data-binary @"$TRASH/p30" "$a_url/ingest?name=checkout.cpu&from=$t&until=$((t + 10))" || return 1
	done
	curl -sf --data-binary @"$TRASH/p39" "$a_url/ingest?name=checkout.cpu&from=$((now - 300))&until=$((now - 290))" || return 1
	# one of them fires (once), the other stands by
	tries=0
	while [ "$(firings)" = 0 ] && [ $tries -lt 300 ]; do sleep 0.1; tries=$((tries + 1)); done
	sleep 3 # a few more rounds of both
	echo "webhook POSTs: $(cat "$TRASH/hook.jsonl" | wc -l), firing: $(firings)"
	[ "$(firings)" = 1 ]
	sa=$(alerts_of "$a_url") sb=$(alerts_of "$b_url")
	echo "a: $sa; b: $sb"
	if [ "$sa" = "ok firing" ]; then
		[ "$sb" = "standby inactive" ]
		lead_pid=$a_pid other_url=$b_url other_log=$b_log
	else
		[ "$sa" = "standby inactive" ] && [ "$sb" = "ok firing" ]
		lead_pid=$b_pid other_url=$a_url other_log=$a_log
	fi
	contains "$other_log" "another server sharing the store evaluates the rules; standing by"
	# the leader gone, the other takes over at its next round (and, not knowing the
	# alert fired, fires it again)
	kill -9 "$lead_pid"
	tries=0
	while [ "$(firings)" != 2 ] && [ $tries -lt 300 ]; do sleep 0.1; tries=$((tries + 1)); done
	echo "after the kill: firing POSTs: $(firings)"
	sed 's/^/  other: /' "$other_log"
	[ "$(firings)" = 2 ]
	contains "$other_log" "this server now evaluates the rules"
	[ "$(alerts_of "$other_url")" = "ok firing" ]
}
test_ok "alerts with two replicas: one evaluates and posts the webhook once, the other stands by and takes over when it dies" t_alerts_one_leader

if [ -x "$FK_BUILD/tests/test_store" ]; then
	t_unit() {
		PG_URL=$PG_URL "$FK_BUILD/tests/test_store" >"$TRASH/unit.log" 2>&1 || { tail -n 30 "$TRASH/unit.log"; false; }
		contains "$TRASH/unit.log" "[  PASSED  ] 11 test(s)."
	}
	test_ok "the store's unit tests on PostgreSQL (test_store with PG_URL)" t_unit
else
	test_skip "the store's unit tests on PostgreSQL" "$FK_BUILD/tests/test_store is not built"
fi

done_testing
