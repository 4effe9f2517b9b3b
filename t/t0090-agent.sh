#!/bin/sh
# flamekit agent against flamekit serve, end to end: known CPU shares (60/30/10) pushed in
# 1 s windows arrive whole (the server's merged profile has the shares within 4 points and
# exactly the samples the agent says it pushed); the server down for the first seconds
# (windows wait on disk, then all arrive); --token right and wrong (401: refused for good,
# counted as dropped, said once); the buffer's bound (no server: oldest windows dropped
# and counted) and the windows left on disk sent by the next agent; -p with SIGTERM and
# with the process exiting; the command's exit status; --off-cpu as APP.offcpu; bad
# options. Needs perf_event_open (root or perf_event_paranoid <= 2). About 60 s.
. "$(dirname "$0")/lib.sh"

SHARES=$FK_FIXTURES/rec_shares
BLOCK=$FK_FIXTURES/rec_block

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 2 ]; then
	test_skip "flamekit agent" "perf_event_open needs root or kernel.perf_event_paranoid <= 2"
	done_testing
	exit 0
fi

# render QUERY OUT: the server's merged folded profile of QUERY over the last hour.
render() {
	curl -s -g -o "$2" -w '%{http_code}' --get --data-urlencode "query=$1" \
		--data-urlencode "from=now-1h" --data-urlencode "until=$(($(date +%s) + 60))" \
		--data-urlencode "format=folded" "$SERVER_URL/render" >"$2.status"
	[ "$(cat "$2.status")" = 200 ] || { echo "render $1: HTTP $(cat "$2.status")"; cat "$2"; return 1; }
}
total() { awk '{s += $NF} END {printf "%.0f\n", s}' "$1"; }

# The agent's summary line: "... N windows (V samples) recorded, N windows (V samples)
# pushed, N windows left in DIR, N windows (V samples) dropped, N samples lost ..."
summary() { grep '^flamekit agent: summary: ' "$1" | tail -n 1; }
recorded() { summary "$1" | sed -n 's/.*windows (\([0-9]*\) [a-z]*) recorded.*/\1/p'; }
pushed() { summary "$1" | sed -n 's/.* windows (\([0-9]*\) [a-z]*) pushed.*/\1/p'; }
left() { summary "$1" | sed -n 's/.* \([0-9]*\) windows left in .*/\1/p'; }
dropped_windows() { summary "$1" | sed -n 's/.* \([0-9]*\) windows ([0-9]* [a-z]*) dropped.*/\1/p'; }
dropped() { summary "$1" | sed -n 's/.* windows (\([0-9]*\) [a-z]*) dropped.*/\1/p'; }

# Inside a test (a subshell): what it starts is killed when it ends, passed or not.
LOCAL_PIDS=""
kill_local_on_exit() { trap 'for p in $LOCAL_PIDS; do kill -9 "$p" 2>/dev/null || true; done' EXIT; }
server_here() { start_server "$@" || return 1; LOCAL_PIDS="$LOCAL_PIDS $SERVER_PID"; }

# a free loopback port: the one a server picked, once that server has stopped
free_port() {
	server_here --db "$TRASH/port.db" || return 1
	PORT=${SERVER_URL##*:}
	stop_server
}

start_server --db "$TRASH/main.db" || exit 1
MAIN_URL=$SERVER_URL

t_shares() {
	"$FK" agent --server "$SERVER_URL" --app shares --tag test=shares --tag host=a1 \
		--interval 1 -F 499 --buffer-dir "$TRASH/buf-shares" -- "$SHARES" 6 2>"$TRASH/err"
	cat "$TRASH/err"
	contains "$TRASH/err" "profiling at 499 Hz, a window every 1 s to $SERVER_URL as shares.cpu{host=a1,test=shares}"
	[ "$(left "$TRASH/err")" = 0 ] && [ "$(dropped "$TRASH/err")" = 0 ]
	p=$(pushed "$TRASH/err")
	# (the target gets less CPU when the tests run in parallel: fewer samples, and a
	# loaded agent may cut a window late, making fewer, longer windows)
	[ "$p" -gt 300 ] && [ "$p" = "$(recorded "$TRASH/err")" ]
	n=$(summary "$TRASH/err" | sed -n 's/.*: \([0-9]*\) windows (.*recorded.*/\1/p')
	[ "$n" -ge 3 ] && [ "$n" -le 8 ] || { echo "$n windows"; return 1; }
	render 'shares.cpu{test="shares",host="a1"}' "$TRASH/shares.folded"
	echo "server: $(total "$TRASH/shares.folded") samples, agent pushed $p"
	[ "$(total "$TRASH/shares.folded")" = "$p" ]
	check_shares "$TRASH/shares.folded" 4 300
	# the buffer is empty again
	[ "$(ls "$TRASH/buf-shares" | grep -c '^w-')" = 0 ]
}
test_ok "rec_shares under the agent: the server has every sample pushed, shares within 4 points" t_shares

t_exit_status() {
	rc=0
	"$FK" agent --server "$SERVER_URL" --app ex --interval 0.2 --buffer-dir "$TRASH/buf-ex" \
		-- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 7' 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 7 ]
	contains "$TRASH/err" "the command exited"
	[ "$(left "$TRASH/err")" = 0 ]
	rc=0
	"$FK" agent --server "$SERVER_URL" --app ex --buffer-dir "$TRASH/buf-ex" \
		-- "$TRASH/no-such-program" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 127 ]
	contains "$TRASH/err" "no-such-program"
}
test_ok "the command's exit status is the agent's (127 when it cannot run)" t_exit_status

t_pids() {
	kill_local_on_exit
	"$SHARES" 30 >/dev/null &
	target=$!
	LOCAL_PIDS="$LOCAL_PIDS $target"
	"$FK" agent --server "$SERVER_URL" --app pids --interval 0.5 --buffer-dir "$TRASH/buf-p" \
		-p "$target" 2>"$TRASH/err" &
	agent=$!
	LOCAL_PIDS="$LOCAL_PIDS $agent"
	sleep 2
	kill -TERM "$agent"
	rc=0
	wait "$agent" || rc=$?
	kill -0 "$target" # -p processes are left running
	kill "$target"
	wait "$target" 2>/dev/null || true
	cat "$TRASH/err"
	[ "$rc" = 0 ]
	contains "$TRASH/err" "stopped by a signal"
	p=$(pushed "$TRASH/err")
	[ "$p" -gt 10 ] && [ "$p" = "$(recorded "$TRASH/err")" ]
	render 'pids.cpu{}' "$TRASH/p.folded"
	[ "$(total "$TRASH/p.folded")" = "$p" ]
	# the process exiting ends the agent too
	"$SHARES" 1.5 >/dev/null &
	target=$!
	rc=0
	timeout 20 "$FK" agent --server "$SERVER_URL" --app pids2 --interval 0.5 \
		--buffer-dir "$TRASH/buf-p" -p "$target" 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 0 ]
	contains "$TRASH/err" "the processes exited"
	p=$(pushed "$TRASH/err")
	[ "$p" -gt 5 ] && [ "$p" = "$(recorded "$TRASH/err")" ]
}
test_ok "-p: SIGTERM cuts the last window and sends it; the processes' exit ends the agent" t_pids

t_token() {
	kill_local_on_exit
	server_here --db "$TRASH/token.db" --token s3cret || return 1
	FLAMEKIT_TOKEN=s3cret "$FK" agent --server "$SERVER_URL" --app tok --interval 0.5 \
		--buffer-dir "$TRASH/buf-tok" -- "$SHARES" 1.5 2>"$TRASH/err"
	cat "$TRASH/err"
	p=$(pushed "$TRASH/err")
	[ "$p" -gt 10 ] && [ "$p" = "$(recorded "$TRASH/err")" ]
	"$FK" agent --server "$SERVER_URL" --app tok --interval 0.5 --token wrong \
		--buffer-dir "$TRASH/buf-tok" -- "$SHARES" 1.5 2>"$TRASH/err2"
	cat "$TRASH/err2"
	[ "$(pushed "$TRASH/err2")" = 0 ]
	[ "$(dropped "$TRASH/err2")" = "$(recorded "$TRASH/err2")" ]
	[ "$(dropped_windows "$TRASH/err2")" -ge 1 ]
	[ "$(left "$TRASH/err2")" = 0 ]
	contains "$TRASH/err2" "the server refused a window with HTTP 401"
	[ "$(grep -c 'refused a window' "$TRASH/err2")" = 1 ] # once per distinct status
	render 'tok.cpu{}' "$TRASH/tok.folded" 2>/dev/null || true
	stop_server
}
test_ok "--token / \$FLAMEKIT_TOKEN: accepted; a wrong one is refused (401), dropped, said once" t_token

t_server_down_at_start() {
	kill_local_on_exit
	free_port || return 1
	url=http://127.0.0.1:$PORT
	"$FK" agent --server "$url" --app late --interval 0.5 -F 499 --buffer-dir "$TRASH/buf-late" \
		-- "$SHARES" 7 2>"$TRASH/err" &
	agent=$!
	LOCAL_PIDS="$LOCAL_PIDS $agent"
	sleep 3
	# windows wait on disk meanwhile
	[ "$(ls "$TRASH/buf-late" | grep -c '^w-')" -ge 2 ]
	server_here --db "$TRASH/late.db" --listen "127.0.0.1:$PORT" || return 1
	[ "$SERVER_URL" = "$url" ]
	rc=0
	wait "$agent" || rc=$?
	cat "$TRASH/err"
	[ "$rc" = 0 ]
	contains "$TRASH/err" "server unreachable since"
	contains "$TRASH/err" "server back after"
	r=$(recorded "$TRASH/err")
	render 'late.cpu{}' "$TRASH/late.folded"
	got=$(total "$TRASH/late.folded")
	echo "recorded $r, the server has $got"
	[ "$r" -gt 200 ]
	[ "$got" -ge $((r * 9 / 10)) ]
	[ "$got" = "$r" ] # in fact all of them
	stop_server
}
test_ok "the server down for the first 3 s: every sample arrives once it is up" t_server_down_at_start

t_bound_and_leftovers() {
	kill_local_on_exit
	free_port || return 1
	rc=0
	"$FK" agent --server "http://127.0.0.1:$PORT" --app bound --interval 0.1 \
		--buffer-size 0.004 --flush-timeout 0.5 --buffer-dir "$TRASH/buf-bound" \
		-- "$SHARES" 3 2>"$TRASH/err" || rc=$?
	cat "$TRASH/err"
	ls -l "$TRASH/buf-bound"
	[ "$rc" = 0 ]
	contains "$TRASH/err" "over its bound"
	contains "$TRASH/err" "dropped the oldest window"
	r1=$(recorded "$TRASH/err")
	d1=$(dropped "$TRASH/err")
	l1=$(left "$TRASH/err")
	[ "$(pushed "$TRASH/err")" = 0 ]
	[ "$(dropped_windows "$TRASH/err")" -ge 1 ]
	[ "$l1" -ge 1 ]
	[ "$(ls "$TRASH/buf-bound" | grep -c '^w-')" = "$l1" ]
	size=$(cat "$TRASH"/buf-bound/w-* | wc -c)
	echo "left: $l1 windows, $size bytes"
	# within the bound, but for the newest window, which is always kept
	[ "$size" -le $((4194 + 3000)) ]
	# the next agent with this directory sends them first
	server_here --db "$TRASH/bound.db" || return 1
	"$FK" agent --server "$SERVER_URL" --app bound --interval 0.5 \
		--buffer-dir "$TRASH/buf-bound" -- "$SHARES" 1 2>"$TRASH/err2"
	cat "$TRASH/err2"
	contains "$TRASH/err2" "$l1 windows left in $TRASH/buf-bound by an earlier run: sending them first"
	r2=$(recorded "$TRASH/err2")
	render 'bound.cpu{}' "$TRASH/bound.folded"
	got=$(total "$TRASH/bound.folded")
	echo "run 1: recorded $r1, dropped $d1; run 2: recorded $r2; the server has $got"
	[ "$got" = $((r1 - d1 + r2)) ]
	[ "$(pushed "$TRASH/err2")" = "$got" ]
	[ "$(left "$TRASH/err2")" = 0 ]
	stop_server
}
test_ok "--buffer-size: no server, oldest windows dropped and counted; the next run sends what is left" t_bound_and_leftovers

t_off_cpu() {
	SERVER_URL=$MAIN_URL
	"$FK" agent --server "$SERVER_URL" --app blk --off-cpu --interval 0.5 \
		--buffer-dir "$TRASH/buf-off" -- "$BLOCK" >/dev/null 2>"$TRASH/err"
	cat "$TRASH/err"
	contains "$TRASH/err" "as blk.offcpu{}"
	contains "$TRASH/err" "microseconds) pushed"
	render 'blk.offcpu{}' "$TRASH/off.folded"
	p=$(pushed "$TRASH/err")
	[ "$(total "$TRASH/off.folded")" = "$p" ]
	# main blocks 10 x 100 ms, its child 5 x 100 ms (both under main: frame pointers
	# skip block_here and child_block, whose callee clock_nanosleep has none), a thread
	# 5 x 100 ms: 2 s in all, 0.5 s under start_thread (+- 15%)
	awk '{s += $NF} END { printf "%d us blocked in all (want 2000000 +- 15%%)\n", s
		exit !(s > 1700000 && s < 2300000) }' "$TRASH/off.folded"
	grep ';start_thread;' "$TRASH/off.folded" | awk '{s += $NF} END {
		printf "thread: %d us blocked (want 500000 +- 15%%)\n", s; exit !(s > 425000 && s < 575000) }'
	curl -s "$SERVER_URL/api/apps" >"$TRASH/apps"
	contains "$TRASH/apps" '"blk.offcpu"'
}
if [ "$(id -u)" -eq 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 0 ]; then
	test_ok "--off-cpu: blocked time in microseconds as APP.offcpu" t_off_cpu
else
	test_skip "--off-cpu" "tracepoints need root or perf_event_paranoid <= 0"
fi

# bad ARGS... EXPECTED-MESSAGE: exit status 2 and the message
bad() {
	_want=$1
	shift
	rc=0
	"$FK" agent "$@" >"$TRASH/out" 2>"$TRASH/err" || rc=$?
	[ "$rc" = 2 ] || { echo "exit $rc for: $*"; cat "$TRASH/err"; return 1; }
	contains "$TRASH/err" "$_want"
}
t_bad_options() {
	u=http://127.0.0.1:9
	bad "--server URL and --app NAME are required" --app a -- true
	bad "--server URL and --app NAME are required" --server $u -- true
	bad "an http:// or https:// URL" --server ftp://x --app a -- true
	bad "--tag 'a b=c': expected '=' after the label name" --server $u --app a --tag 'a b=c' -- true
	bad "--tag 'k': want KEY=VALUE" --server $u --app a --tag k -- true
	bad "--tag 'k=': want KEY=VALUE" --server $u --app a --tag k= -- true
	bad "--tag 'k=a,b'" --server $u --app a --tag 'k=a,b' -- true
	bad "--tag '__name__=x': the label name __name__ is reserved" --server $u --app a --tag __name__=x -- true
	bad "--app 'a{b'" --server $u --app 'a{b' -- true
	bad "--interval" --server $u --app a --interval 0.01 -- true
	bad "--buffer-size" --server $u --app a --buffer-size 0 -- true
	bad "nothing to profile" --server $u --app a
	bad "choose one target" --server $u --app a -a -- true
	bad "--python profiles a command or -p PIDs" --server $u --app a --python -a
	"$FK" agent --help | grep -q 'flamekit agent --server URL --app NAME'
	"$FK" --help 2>&1 | grep -q 'agent'
}
test_ok "bad options and tags: a clear message, exit status 2" t_bad_options

done_testing
