// profile.js: makes pprof profiles of a CPU-burning node program with @datadog/pprof,
// for flamekit's pprof reader (t/t0071-pprof.sh): a time (wall) profile of two named
// functions doing fixed amounts of work (1 : 3), and a heap profile of one allocating
// function. Writes OUTDIR/time.pb.gz and OUTDIR/heap.pb.gz with pprof's encode().
//
//   node tests/node/profile.js OUTDIR [UNITS]
'use strict';
const fs = require('fs');
const path = require('path');
const pprof = require('@datadog/pprof');

const outdir = process.argv[2];
const units = Number(process.argv[3] || 40);
let sink = 0;

function spinLoop(n) {
	let x = n;
	for (let i = 0; i < n * 1000000; i++)
		x = (x * 1103515245 + 12345) % 2147483648;
	return x;
}

function burnLight(u) { sink += spinLoop(u); }
function burnHeavy(u) { sink += spinLoop(3 * u); }

const kept = [];
function allocateBlocks() {
	for (let i = 0; i < 2000; i++)
		kept.push(new Array(256).fill(i));
}

async function main() {
	pprof.time.start({ intervalMicros: 1000, durationMillis: 60000 });
	for (let i = 0; i < 10; i++) {
		burnLight(units / 10);
		burnHeavy(units / 10);
	}
	const timeProfile = pprof.time.stop();
	fs.writeFileSync(path.join(outdir, 'time.pb.gz'), await pprof.encode(timeProfile));

	pprof.heap.start(1024, 64);
	allocateBlocks();
	const heapProfile = pprof.heap.profile();
	pprof.heap.stop();
	fs.writeFileSync(path.join(outdir, 'heap.pb.gz'), await pprof.encode(heapProfile));
	process.stdout.write(sink ? 'done\n' : 'done.\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
