"""bench/pywork.py: the fixed-work Python target of bench/python.sh, which measures how much
`flamekit record --python` and `perf record -g` slow a Python program down.

`python3 bench/pywork.py [ROUNDS]` runs ROUNDS (default 130, about 2.5 s with CPython 3.11
on a 2020s x86 core) identical rounds of pure-Python CPU work (integer arithmetic, list,
dict and string operations; no I/O, no sleeping, no C extension doing the work) through a
call chain 9 or 10 frames deep, so that a sampler has real Python stacks to read:

    <module> -> main -> run_round -> stage -> descend (x4) -> {arith, strings, table}
    (table -> <genexpr>)

The amount of work is fixed, not time-based (bench/python.sh also sets PYTHONHASHSEED=0,
so that dict layouts are the same in every run), so a profiler's overhead shows as a
longer run. It prints nothing; bench/python.sh times the whole process from outside.
"""
import sys


def arith(n):
    # dependent integer arithmetic (xorshift-like, kept within 32 bits)
    x = n | 1
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        x = (x + i) & 0xFFFFFFFF
    return x


def strings(n):
    parts = []
    for i in range(n):
        parts.append("%d:%x" % (i, i * 2654435761 & 0xFFFF))
    s = ",".join(parts)
    return len(s.split(","))


def table(n):
    d = {}
    for i in range(n):
        k = (i * 7919) % 1021
        d[k] = d.get(k, 0) + i
    return sum(v for v in d.values() if v & 1)


def descend(depth, n):
    # a few extra frames above the leaves
    if depth > 0:
        return descend(depth - 1, n) + 1
    return arith(n) + strings(n // 4) + table(n // 2)


def stage(k, n):
    return descend(3, n + k)


def run_round(r):
    acc = 0
    for k in range(20):
        acc ^= stage(k, 2000)
    return acc


def main(rounds):
    acc = 0
    for r in range(rounds):
        acc += run_round(r)
    return acc


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 130)
