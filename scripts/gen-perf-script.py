#!/usr/bin/env python3
"""gen-perf-script.py: generates random, reproducible inputs for scripts/perl-diff.sh, the
differential check of `flamekit collapse` against stackcollapse-perf.pl and
stackcollapse.pl. The inputs look like `perf script` text (or DTrace stack aggregations
with --dtrace) but lean on the corners of the Perl scripts' regexes: odd process names,
PID/TID forms, periods, event names, symbol and module shapes, stray lines, CR bytes,
non-ASCII bytes.

usage: gen-perf-script.py [--dtrace] [--seed S] [--count N] OUTDIR
Writes OUTDIR/perf-NNNNN.txt (or dtrace-NNNNN.txt); input i is a function of (S, i) only.
"""

import argparse
import os
import random

# ---- perf script ----

COMMS = [
    "java", "javac", "java-launcher", "Java Thread", "app", "my app", "V8 WorkerThread",
    "kworker/0:1", "kworker/u16:2-events", "swapper", "a:b", "x", "xy", "12345",
    "comm 99 x", "perf-exec", "node", "Web Content", "a/b/c", "gdbus", "python3.11",
    "run 1/2", "tab\tname", "cafe\xc3\xa9", "nb\xa0sp", "nel\x85x", "sp  two",
    "ends ", "J", "javaAgent", "(paren)", "[brkt]", "-dash", "t:1:2", "nul\x00c", "0", "00",
]

EVENTS = [
    "cycles", "cycles", "cycles", "instructions", "cycles:u", "cycles:ppp", "cpu-clock",
    "sched:sched_switch", "task-clock", "mem:0x1000:rw", "probe:do_x", "cycles:",
]

MODULES = [
    "[kernel.kallsyms]", "[kernel.kallsyms]", "[unknown]", "[unknown]", "/usr/lib/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", "/tmp/perf-123.map", "/tmp/perf-99.map",
    "/tmp/perf-x.map", "/tmp/perf-123.mapx", "perf-12.map", "vmlinux", "/boot/vmlinux",
    "/boot/vmlinux-6.1", "[nf_conntrack]", "[unknown_mod]", "/opt/app/bin/app", "app",
    "", "/path with space/lib.so", "/usr/lib/x.so (deleted)", "[vdso]", "[]", "/a/b/",
    "/home/u/.cache/JIT(1).so", "(x)", "libfoo.so", "/lib/unknown.so", "kernel.x",
    "[kernel.kallsyms]_text", "//anon", "/tmp/perf-1.map/x",
]

SYMBOLS = [
    "main", "do_work", "__libc_start_main", "_start", "start_thread", "clone3",
    "[unknown]", "[unknown]", "[unknown]", "ns::Foo::bar(int, char const*)",
    "(anonymous namespace)::helper(int)", "std::vector<int, std::allocator<int> >::push_back(int const&)",
    "operator()", "foo(", "foo()", "net/http.(*Client).Do", "main.(*T).M", "pkg.(*T).M.func1",
    "main.main.func1", "runtime.goexit", "Lcom/foo/Bar;::baz", "Ljava/lang/Thread;::run",
    "Lcom/x;.y(Lcom/z;)V", "LNoSlash;::m", "Interpreter", "a->b->c", "x->y", "->lead",
    "trail->", "a->->b", "x;y", "semi;colon;s", "'quoted'", "\"dq\"", "Re:[&<>\"']",
    "(process)", "(anonymous namespace)", "f(anonymous namespace)x", "name with spaces",
    "paren (inside", "close) here", "a (b) c", "weird ) ( ", "tab\there", "x.(y).z",
    ".(", ").", "a.(b)", "(b).c", "func_[i]", "f_[j]", "f_[k]", "utf8_\xc3\xa4", "hi\xff",
    "CR\rmid", "0x", "+0x10", "_", "__", "A", "Lx/y", "L", "L/", "java.lang.Object",
    "[unknown]->f", "f->[unknown]", "[[unknown]]", "x(anonymous namespace)y(z)",
    "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "cpu_startup_entry", "12345", "7",
    "foo 123", "a 1/2 b", "nul\x00sym", ";", ";;", "a;", "x\x0b", "f\x0cg", "\xa0nbsp", "[unknown] ", " [unknown]",
]

# what `perf script -F+srcline` prints after a frame
SRCLINES = [
    "  file.c:12", "  uniform.h:300", "  libc.so.6[27b25]", "  [kernel.kallsyms][ffffffff8100]",
    "  ??:0", "", "  ", "  a[b]c[d]e", "  [x", "  x]", "  [] y ", "  semi;colon.c:1",
    "  path with space/x.c:9", "\tt.c:1\r",
]

WS = ["\t", "\t", "\t    ", "    ", "        ", " ", "", " \t ", "\t\t"]


def hexaddr(r):
    n = r.choice([1, 2, 4, 6, 8, 12, 16])
    s = "".join(r.choice("0123456789abcdef") for _ in range(n))
    if r.random() < 0.1:
        s = s.upper()
    return s


def offset(r):
    x = r.random()
    if x < 0.5:
        return ""
    digits = "0123456789abcdef" if r.random() < 0.8 else "0123456789ABCDEF"
    s = "".join(r.choice(digits) for _ in range(r.randint(1, 6)))
    if x < 0.9:
        return "+0x" + s
    return r.choice(["+0x", "+0X" + s, "+0x" + s + "g", "+0x" + s + "+0x1", "+" + s, "+0x-1"])


def symbol(r):
    if r.random() < 0.15:
        # glue two pieces together
        return r.choice(SYMBOLS) + r.choice(["", "->", ";", " ", "(", ")", "."]) + r.choice(SYMBOLS)
    return r.choice(SYMBOLS)


def module(r):
    if r.random() < 0.05:
        return r.choice(MODULES) + r.choice([")", " (x)", "(", " (", ") ("])
    return r.choice(MODULES)


def eol(r):
    x = r.random()
    if x < 0.04:
        return "\r\n"
    if x < 0.07:
        return " \n"
    if x < 0.08:
        return "\t\r\n"
    return "\n"


def event_line(r, pidtid, main_event):
    comm = r.choice(COMMS)
    x = r.random()
    pid, tid = pidtid
    if x < 0.35:
        ids = f"{tid}"
    elif x < 0.8:
        ids = f"{pid}/{tid}"
    else:
        ids = r.choice([f"{pid}/0", "0/0", "0", f"{pid}//{tid}", f"{pid}/", f"{pid}/ {tid}",
                        f"{pid} /{tid}", f"{pid}/{tid}x", "00", f"{pid}/00"])
    sep = r.choice([" ", " ", "  ", "\t", " \t", "   "])
    parts = [comm + sep + ids]
    if r.random() < 0.5:
        parts.append("[%03d]" % r.randint(0, 15))
    if r.random() < 0.95:
        parts.append("%d.%06d:" % (r.randint(0, 99999), r.randint(0, 999999)))
    x = r.random()
    if x < 0.25:
        period = None
    elif x < 0.35:
        period = "0"
    elif x < 0.4:
        period = "00"
    elif x < 0.45:
        period = "007"
    elif x < 0.5:
        period = "1"
    else:
        period = str(r.choice([1, 10, 997, 250000, 1000000, 10101010, 3]))
    if period is not None:
        parts.append(period)
    ev = main_event if r.random() < 0.85 else r.choice(EVENTS)
    x = r.random()
    line = " ".join(parts)
    if x < 0.75:
        line += " " + ev + ":"
    elif x < 0.8:
        line += " " + ev + ":  "
    elif x < 0.85:
        line += " " + ev + ": prev_comm=foo prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=bar next_pid=2"
    elif x < 0.88:
        line += " " + ev + ": trailing text ending with colon:"
    elif x < 0.9:
        line += "\t" + ev + ":"
    elif x < 0.93:
        line += " " + ev  # no colon
    elif x < 0.96:
        line += ":" + ev + ":"
    else:
        line += " " + ev + ": " + str(r.randint(0, 99)) + " " + r.choice(EVENTS) + ":"
    return line + eol(r)


def stack_line(r):
    ws = r.choice(WS)
    x = r.random()
    if x < 0.9:
        return f"{ws}{hexaddr(r)} {symbol(r)}{offset(r)} ({module(r)}){eol(r)}"
    if x < 0.93:
        return f"{ws}{hexaddr(r)}  {symbol(r)} ({module(r)}){eol(r)}"  # two spaces
    if x < 0.96:
        return f"{ws}{hexaddr(r)} ({module(r)}){eol(r)}"  # no symbol
    return f"{ws}{symbol(r)} ({module(r)}){eol(r)}"  # no address


def stray_line(r):
    return r.choice([
        "# comment line\n", "#\n", "   \n", "\t\n", " \t \n", "\r\n", "garbage\n", "12345\n",
        "[unknown]\n", "  (x)\n", "  x (y\n", "  x y)\n", ")\n", " (\n", "a (b)\n",
        "\f\n", "\x0b\n", "  \x0b  \n", "# cmdline : /usr/bin/perf record -g ./app\n",
        "\xa0\n", "  zz\n",
    ])


def perf_input(r):
    out = []
    if r.random() < 0.3:
        out.append("# ========\n# captured on: today\n# ========\n#\n")
    pids = [(r.randint(1, 40000), r.randint(1, 40000)) for _ in range(3)]
    # mostly one event type per input, as perf records it (the default filter keeps the
    # first type seen)
    main_event = "cycles" if r.random() < 0.5 else r.choice(EVENTS)
    srcline = r.random() < 0.3  # lines for --srcline after most frames
    for _ in range(r.randint(1, 10)):
        if r.random() < 0.1:
            out.append(stray_line(r))
        out.append(event_line(r, r.choice(pids), main_event))
        for _ in range(r.randint(0, 7)):
            if r.random() < 0.06:
                out.append(stray_line(r))
            out.append(stack_line(r))
            if srcline and r.random() < 0.9:
                out.append(r.choice(SRCLINES) + "\n")
        x = r.random()
        if x < 0.9:
            out.append("\n")
        elif x < 0.93:
            out.append("\n\n")
        elif x < 0.96:
            out.append("\r\n\n")
        # else: no blank line; the next sample runs into this one
    # The Perl script drops a last sample with no blank line after it (flamekit keeps
    # it), and with --srcline a frame line may swallow the blank lines after it (one per
    # "->" piece): end with enough of them.
    out.append("\n" * 8)
    return "".join(out)


# ---- DTrace ----

FRAMES = [
    "app`main+0x99", "app`_start+0x80", "genunix`cv_wait+0x60",
    "unix`mutex_enter+0x10", "app`_ZN3Foo3barEv+0x1c", "app`Foo::bar(int)+0x10",
    "app`ns::Tmpl<int>::f(char)+0x2", "app`a::b", "app`a::b(", "app`x<y>::z", "a::b<c>(d)",
    "Lcom/foo/Bar;::baz+0x1", "Lcom/x;.y(I)V", "LNoSlash", "kernel`a->kernel`b+0x2",
    "x->y->z", "->lead", "trail->", "semi;colon+1", "plus+in+name+0x3", "+0x10", "+",
    "noplus", "with space`f+0x1", "app`f(int)", "app`(anon)", "::lead(x)", "tail::",
    "utf8`\xc3\xa4+0x1", "hi\xff", "CR`x+1\r", "12", "12 ", "0x1234", "app`f+0x1 ",
    "L", "LL", "a->", "-", "->", "app`nul\x00x+0x1", ";", "L;",
]

COUNTS = ["1", "2", "12", "100", "007", "0", "99999", "31"]


def dtrace_input(r):
    out = []
    header = ["CPU     ID                    FUNCTION:NAME\n", "  0  64091                        :tick-60s\n",
              "\n", "  1234\n", "              app`main+0x1\n", "\n"]
    for i in range(3):
        out.append(r.choice(header) if r.random() < 0.5 else header[i])
    for _ in range(r.randint(0, 8)):
        if r.random() < 0.7:
            out.append("\n")
        for _ in range(r.randint(0, 6)):
            ws = r.choice(["              ", "  ", "\t", "", " \t"])
            f = r.choice(FRAMES)
            if r.random() < 0.1:
                f = f + r.choice(FRAMES)
            out.append(ws + f + "\n")
            if r.random() < 0.05:
                out.append(r.choice(["   \n", "\t\n", "\r\n", "\f\n"]))
        x = r.random()
        ws = r.choice(["               ", "  ", "", "\t"])
        if x < 0.85:
            out.append(ws + r.choice(COUNTS) + "\n")
        elif x < 0.9:
            out.append(ws + r.choice(COUNTS) + " \n")  # not a count line
        elif x < 0.95:
            out.append(ws + r.choice(COUNTS) + "\r\n")
        # else: no count; the frames join the next stack
    if r.random() < 0.2:
        out.append("              app`dangling+0x1\n")  # no count after it: dropped
    if r.random() < 0.2 and out and out[-1].endswith("\n"):
        out[-1] = out[-1][:-1]  # no final newline
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dtrace", action="store_true", help="DTrace aggregation inputs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="number of the first input")
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    kind = "dtrace" if a.dtrace else "perf"
    for i in range(a.first, a.first + a.count):
        r = random.Random(f"{kind}:{a.seed}:{i}")
        text = dtrace_input(r) if a.dtrace else perf_input(r)
        # latin-1 maps each code point below 256 to one byte: the strings above are bytes
        with open(os.path.join(a.outdir, f"{kind}-{i:05d}.txt"), "wb") as f:
            f.write(text.encode("latin-1"))


if __name__ == "__main__":
    main()
