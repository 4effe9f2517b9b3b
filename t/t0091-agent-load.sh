#!/bin/sh
# flamekit agent under load: 50 agents, each cutting at least 200 windows (--interval 0.1
# for 30 s, -F 299), push to one flamekit serve on loopback at once. Every agent profiles
# the same two CPU burners (-p, at nice 19) and tags its windows agent=N; the burners'
# exit ends them all. None lost: for every agent the server holds exactly the samples it says it
# pushed (queried by its tag), every window it recorded was pushed, and none was dropped
# or left on disk. Needs perf_event_open (root or perf_event_paranoid <= 2). About 40 s
# on 2 cores.
. "$(dirname "$0")/lib.sh"

SHARES=$FK_FIXTURES/rec_shares
AGENTS=${AGENTS:-50}
SECONDS_RUN=30
LOAD_PIDS=""
trap 'for p in $SERVER_PIDS $LOAD_PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TRASH"' EXIT

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 2 ]; then
	test_skip "flamekit agent under load" "perf_event_open needs root or kernel.perf_event_paranoid <= 2"
	done_testing
	exit 0
fi

start_server --db "$TRASH/load.db" || exit 1

nice -n 19 "$SHARES" $((SECONDS_RUN + 1)) >/dev/null &
B1=$!
nice -n 19 "$SHARES" $((SECONDS_RUN + 1)) >/dev/null &
B2=$!
LOAD_PIDS="$B1 $B2"
i=1
while [ $i -le "$AGENTS" ]; do
	"$FK" agent --server "$SERVER_URL" --app load --tag agent=$i --interval 0.1 -F 299 \
		--flush-timeout 60 --buffer-dir "$TRASH/buf-$i" -p "$B1,$B2" 2>"$TRASH/agent-$i.err" &
	LOAD_PIDS="$LOAD_PIDS $!"
	i=$((i + 1))
done
# every agent ends when the burners do (or is killed after 90 s)
deadline=$(($(date +%s) + 90))
for p in $LOAD_PIDS; do
	while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.2
	done
	kill -9 "$p" 2>/dev/null || true
done

summary() { grep '^flamekit agent: summary: ' "$1" | tail -n 1; }

t_none_lost() {
	bad=0
	fewest=
	windows=0
	samples=0
	i=1
	while [ $i -le "$AGENTS" ]; do
		e=$TRASH/agent-$i.err
		s=$(summary "$e")
		if [ -z "$s" ]; then
			echo "agent $i printed no summary:"
			cat "$e"
			return 1
		fi
		# "N windows (V samples) recorded, N windows (V samples) pushed, N windows left
		# in DIR, N windows (V samples) dropped, ..."
		set -- $(echo "$s" | sed -n 's/.*: \([0-9]*\) windows (\([0-9]*\) samples) recorded, \([0-9]*\) windows (\([0-9]*\) samples) pushed, \([0-9]*\) windows left in .*, \([0-9]*\) windows ([0-9]* samples) dropped.*/\1 \2 \3 \4 \5 \6/p')
		if [ $# -ne 6 ]; then
			echo "agent $i: cannot read its summary: $s"
			return 1
		fi
		curl -s -g -o "$TRASH/r-$i" --get --data-urlencode "query=load.cpu{agent=\"$i\"}" \
			--data-urlencode "from=now-1h" --data-urlencode "until=$(($(date +%s) + 60))" \
			--data-urlencode "format=folded" "$SERVER_URL/render"
		got=$(awk '{s += $NF} END {printf "%.0f\n", s}' "$TRASH/r-$i")
		if [ "$1" != "$3" ] || [ "$2" != "$4" ] || [ "$5" != 0 ] || [ "$6" != 0 ] || [ "$got" != "$4" ]; then
			echo "agent $i: $s; the server has $got samples"
			bad=1
		fi
		# 300 windows at most: fewer when a loaded machine delays the cuts (a late cut
		# makes one longer window), or a window has no sample (not sent)
		if [ "$1" -lt 200 ]; then
			echo "agent $i: only $1 windows: $s"
			bad=1
		fi
		windows=$((windows + $3))
		[ -n "$fewest" ] && [ "$fewest" -le "$3" ] || fewest=$3
		samples=$((samples + got))
		i=$((i + 1))
	done
	echo "$AGENTS agents: $windows windows (the fewest for one agent: $fewest), $samples samples, all on the server"
	[ $bad = 0 ]
}
test_ok "$AGENTS agents x >= 200 windows into one server: for each, the server has exactly what it pushed" t_none_lost

server_rc=0
stop_server || server_rc=$?
t_server_ok() {
	[ "$server_rc" = 0 ]
	! grep -i 'error' "$SERVER_LOG"
}
test_ok "the server stops cleanly, no error logged" t_server_ok

done_testing
