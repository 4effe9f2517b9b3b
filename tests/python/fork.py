# fork.py: forks; the child runs child_work and the parent parent_work, each busy for
# SECONDS (argv[1], default 1.5) seconds; the parent then waits for the child.
import os
import sys
import time


def busy(seconds):
    end = time.monotonic() + seconds
    total = 0
    while time.monotonic() < end:
        for i in range(2000):
            total += i * i
    return total


def child_work(seconds):
    return busy(seconds)


def parent_work(seconds):
    return busy(seconds)


def main(seconds):
    pid = os.fork()
    if pid == 0:
        child_work(seconds)
        os._exit(0)
    parent_work(seconds)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.5)
