#!/usr/bin/env python3
"""bench/gen-folded.py: writes synthetic folded stacks for the flamegraph benchmark.

Usage: gen-folded.py DISTINCT_STACKS TARGET_BYTES SEED [sorted|shuffled] > out.folded

Stacks are paths through a vocabulary of plausible frame names, 5 to 16 deep, sharing
prefixes the way real profiles do (a few roots, many leaves); exactly DISTINCT_STACKS
distinct stacks, lines repeated until the output reaches TARGET_BYTES; sorted as
stackcollapse writes folded files (default), or shuffled.
"""
import random
import sys


def main():
    distinct, target, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    modules = ["libc.so.6", "libssl.so.3", "app", "libpython3.11.so", "vmlinux", "libjvm.so"]
    verbs = ["read", "write", "parse", "encode", "hash", "lookup", "insert", "flush", "send",
             "recv", "alloc", "free", "sort", "merge", "scan", "render", "compress", "poll"]
    nouns = ["buffer", "request", "table", "node", "page", "frame", "record", "token",
             "socket", "block", "index", "string", "vector", "map", "event", "span"]
    vocab = ["%s_%s_%d" % (rng.choice(verbs), rng.choice(nouns), i) for i in range(4000)]
    vocab += ["%s::%s" % (rng.choice(nouns).title(), rng.choice(verbs)) for _ in range(2000)]
    roots = ["app;main;run_loop", "app;start_thread;worker_main", "swapper;cpu_idle",
             "java;thread_start;JavaMain"]
    stacks = set()
    while len(stacks) < distinct:
        depth = rng.randint(4, 15)
        frames = [rng.choice(roots)]
        # shared prefixes: early frames come from a small part of the vocabulary
        for d in range(depth):
            width = min(len(vocab), 4 + d * d * 6)
            frames.append(vocab[rng.randrange(width)])
        stacks.add(";".join(frames))
    stacks = sorted(stacks)
    rng.shuffle(stacks)
    if len(sys.argv) < 5 or sys.argv[4] == "sorted":
        stacks.sort()
    out = sys.stdout
    written = 0
    i = 0
    while written < target or i < len(stacks):
        line = "%s %d\n" % (stacks[i % len(stacks)], rng.randint(1, 50))
        out.write(line)
        written += len(line)
        i += 1


if __name__ == "__main__":
    main()
