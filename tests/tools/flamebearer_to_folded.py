#!/usr/bin/env python3
"""flamebearer_to_folded.py: decodes Pyroscope's flamebearer JSON (a /render or
/render-diff reply) back into folded stacks, the way Pyroscope's own decoder reads the
levels, so tests can compare the JSON with the stacks that were ingested.

    flamebearer_to_folded.py REPLY.json            "a;b;c SELF" lines, sorted
    flamebearer_to_folded.py --side left|right R   the same for one side of a "double" reply
    flamebearer_to_folded.py --check REPLY.json    prints numTicks, maxSelf and bar count
                                                    after checking the tree is consistent
"""
import json
import sys


def bars(fb, fmt, side):
    """Yields (level, x, total, self, name) for every bar."""
    step = 7 if fmt == "double" else 4
    for depth, row in enumerate(fb["levels"]):
        if len(row) % step:
            raise SystemExit(f"level {depth}: {len(row)} numbers, not a multiple of {step}")
        off = 0 if fmt == "single" or side == "left" else 3
        x = 0
        for i in range(0, len(row), step):
            x += row[i + off]
            total, self_ = row[i + off + 1], row[i + off + 2]
            yield depth, x, total, self_, fb["names"][row[i + step - 1]]
            x += total


def decode(reply, side):
    fb = reply["flamebearer"]
    fmt = reply.get("metadata", {}).get("format", "single")
    levels = {}
    for depth, x, total, self_, name in bars(fb, fmt, side):
        levels.setdefault(depth, []).append((x, total, self_, name))
    stacks = {}
    paths = {}
    for depth in sorted(levels):
        for x, total, self_, name in levels[depth]:
            if depth == 0:
                path = []
            else:
                parents = [p for p in levels[depth - 1] if p[0] <= x and x + total <= p[0] + p[1]
                           and (total > 0 or p[0] <= x < p[0] + p[1] or p[1] == 0)]
                if not parents:
                    raise SystemExit(f"bar {name} at level {depth} x={x} has no parent")
                parent = parents[0]
                path = paths[(depth - 1, parent[0], parent[3])] + [name]
            paths[(depth, x, name)] = path
            if self_ and depth > 0:
                key = ";".join(path)
                stacks[key] = stacks.get(key, 0) + self_
    return stacks, fb, fmt


def main():
    args = sys.argv[1:]
    side = "right"
    check = False
    if args and args[0] == "--side":
        side = args[1]
        args = args[2:]
    if args and args[0] == "--check":
        check = True
        args = args[1:]
    with open(args[0], encoding="utf-8") as f:
        reply = json.load(f)
    stacks, fb, fmt = decode(reply, side)
    if check:
        nbars = sum(len(r) for r in fb["levels"]) // (7 if fmt == "double" else 4)
        print(f"numTicks={fb['numTicks']} maxSelf={fb['maxSelf']} bars={nbars} format={fmt}")
        return
    for key in sorted(stacks):
        v = stacks[key]
        print(f"{key} {int(v) if float(v).is_integer() else v}")


if __name__ == "__main__":
    main()
