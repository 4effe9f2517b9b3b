// pyroscope_push.js: the real @pyroscope/nodejs client (npm) pushing to a flamekit serve,
// for t/t0082-serve-pyroscope-node.sh: wall (and CPU time) profiling of two named
// functions doing fixed amounts of work (1 : 3), flushed every second, with tags; stop()
// pushes the last profile. The client is used unchanged; only its server address points
// at flamekit.
//
//   node tests/node/pyroscope_push.js SERVER_URL APP SECONDS [TOKEN]
'use strict';
const Pyroscope = require('@pyroscope/nodejs').default;

const [server, app, seconds, token] = process.argv.slice(2);
let sink = 0;

function spinLoop(n) {
	let x = n;
	for (let i = 0; i < n * 100000; i++)
		x = (x * 1103515245 + 12345) % 2147483648;
	return x;
}

function burnLight() { sink += spinLoop(1); }
function burnHeavy() { sink += spinLoop(3); }

// The client's flush timer can fire once more after stopWallProfiling() (0.6.4) and throw
// "Wall profiler is not started": not our concern once the last profile is pushed.
let stopped = false;
process.on('uncaughtException', (e) => {
	if (stopped && /Wall profiler is not started/.test(String(e && e.message)))
		process.exit(0);
	console.error(e);
	process.exit(1);
});

async function main() {
	Pyroscope.init({
		serverAddress: server,
		appName: app,
		authToken: token || undefined,
		flushIntervalMs: 1000,
		tags: { region: 'test', version: 'v1' },
		wall: { samplingDurationMs: 1000, collectCpuTime: true },
	});
	Pyroscope.startWallProfiling();
	const end = Date.now() + Number(seconds) * 1000;
	while (Date.now() < end) {
		burnLight();
		burnHeavy();
		// let the client's timers (flushes) run
		await new Promise((resolve) => setImmediate(resolve));
	}
	stopped = true;
	await Pyroscope.stopWallProfiling();
	console.log(`done ${sink > 0}`);
	process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
