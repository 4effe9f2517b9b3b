#!/bin/sh
# flamekit serve under load and when killed: 16 parallel clients push 6,400 profiles
# (400 each): every one is acknowledged and counted; then kill -9 in the middle of the
# same load and a restart: every profile the server acknowledged is there (fk-push writes
# each 200 to a file as it comes, and every profile holds one stack no other has).
. "$(dirname "$0")/lib.sh"

PUSH=$FK_BUILD/tools/fk-push
BASE=1600000000

if ! command -v curl >/dev/null 2>&1; then
	test_skip "flamekit serve under load" "curl is not installed"
	done_testing
	exit
fi

# acked_stacks FILE: the unique stacks of the profiles FILE lists ("C P" lines), sorted.
acked_stacks() {
	awk '{ print "push;client_" $1 ";profile_" $2 " 1" }' "$1" | LC_ALL=C sort
}
# stored_unique: the unique stacks the server holds for app $1, sorted.
stored_unique() {
	curl -s -g "$SERVER_URL/render?query=$1.cpu{}&from=$BASE&until=$((BASE + 100000))&format=folded" |
		grep '^push;client_' | LC_ALL=C sort
}

start_server --db "$TRASH/load.db"
"$PUSH" --url "$SERVER_URL" --app load --clients 16 --profiles 6400 --stacks 50 \
	--from-base "$BASE" --acked "$TRASH/acked" >"$TRASH/push.out" 2>&1
push_rc=$?

t_all_acked() {
	cat "$TRASH/push.out"
	[ "$push_rc" -eq 0 ]
	[ "$(wc -l <"$TRASH/acked")" -eq 6400 ]
	[ "$(sort -u "$TRASH/acked" | wc -l)" -eq 6400 ]
}
test_ok "16 clients x 400 profiles: every one acknowledged (200)" t_all_acked

t_all_counted() {
	acked_stacks "$TRASH/acked" >"$TRASH/want"
	stored_unique load >"$TRASH/got"
	same_file "$TRASH/want" "$TRASH/got"
	# and the shared stacks: fk-push's 49 shared stacks count 1 + i % 7 (i = 0..48), and
	# the unique stack 1
	per=$(awk 'BEGIN { s = 1; for (i = 0; i < 49; i++) s += 1 + i % 7; print s }')
	total=$(curl -s -g "$SERVER_URL/render?query=load.cpu{}&from=$BASE&until=$((BASE + 100000))&format=folded" |
		awk '{ s += $NF } END { print s }')
	[ "$total" -eq $((6400 * per)) ] || { echo "total $total"; false; }
	# one series per client
	curl -s "$SERVER_URL/label-values?label=client" | python3 -c 'import json,sys; v = json.load(sys.stdin); assert len(v) == 16, v'
}
test_ok "every acknowledged profile is stored and counted once" t_all_counted

# kill -9 while 16 clients push; then restart on the same file.
: >"$TRASH/acked2"
"$PUSH" --url "$SERVER_URL" --app crash --clients 16 --profiles 6400 --stacks 50 \
	--from-base "$BASE" --acked "$TRASH/acked2" --tolerate-errors >"$TRASH/push2.out" 2>&1 &
push_pid=$!
tries=0
while [ "$(wc -l <"$TRASH/acked2")" -lt 500 ] && [ $tries -lt 3000 ]; do
	sleep 0.01
	tries=$((tries + 1))
done
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
wait "$push_pid"
start_server --db "$TRASH/load.db"

t_kill9() {
	cat "$TRASH/push2.out"
	n=$(wc -l <"$TRASH/acked2")
	echo "acknowledged before kill -9: $n of 6400"
	[ "$n" -ge 500 ] && [ "$n" -lt 6400 ]
	acked_stacks "$TRASH/acked2" >"$TRASH/want"
	# the server may also hold profiles it committed but could not acknowledge
	stored_unique crash >"$TRASH/got"
	missing=$(LC_ALL=C comm -23 "$TRASH/want" "$TRASH/got" | wc -l)
	[ "$missing" -eq 0 ] || { echo "$missing acknowledged profiles lost"; LC_ALL=C comm -23 "$TRASH/want" "$TRASH/got" | head; false; }
	# and the first load is intact
	acked_stacks "$TRASH/acked" >"$TRASH/want1"
	stored_unique load | same_file "$TRASH/want1" -
}
test_ok "kill -9 during the load, restart: every acknowledged profile is there" t_kill9

done_testing
