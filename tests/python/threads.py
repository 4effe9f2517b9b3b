# threads.py: two worker threads burn CPU in distinct functions (burn_alpha, burn_beta)
# for SECONDS (argv[1], default 2) seconds while the main thread joins them; a third
# thread only sleeps (nap): a daemon thread, started first, that never wakes before the
# program ends (it runs Python code only in its first instant).
import sys
import threading
import time


def burn_alpha(end):
    total = 0
    while time.monotonic() < end:
        for i in range(2000):
            total += i * i
    return total


def burn_beta(end):
    total = 0
    while time.monotonic() < end:
        for i in range(2000):
            total += i ^ 7
    return total


def nap():
    time.sleep(3600)


def main(seconds):
    threading.Thread(target=nap, daemon=True).start()
    time.sleep(0.1)  # nap is asleep before the workers compete for the CPUs
    end = time.monotonic() + seconds
    workers = [
        threading.Thread(target=burn_alpha, args=(end,)),
        threading.Thread(target=burn_beta, args=(end,)),
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
