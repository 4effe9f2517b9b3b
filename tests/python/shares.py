# shares.py: a Python program whose functions take known shares of its CPU time:
# work_a 60%, work_b 30%, work_c 10% (the same loop body, run 6, 3 and 1 times as
# often), all called from main. Runs for SECONDS (argv[1], default 3) seconds.
import sys
import time


def spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def work_a():
    return spin(6000)


def work_b():
    return spin(3000)


def work_c():
    return spin(1000)


def main(seconds):
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        work_a()
        work_b()
        work_c()
        rounds += 1
    return rounds


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
