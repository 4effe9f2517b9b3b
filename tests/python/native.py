# native.py: Python code that calls into C: hash_work into hashlib (OpenSSL or the
# built-in _sha256), read_zero into the kernel (read(2) of /dev/zero), py_work stays in
# the interpreter. Runs for SECONDS (argv[1], default 2) seconds.
import hashlib
import os
import sys
import time


def hash_work(data):
    for _ in range(10):
        hashlib.sha256(data).hexdigest()


def read_zero(fd):
    for _ in range(300):
        os.read(fd, 1 << 20)


def py_work():
    total = 0
    for i in range(100000):
        total += i * i
    return total


def main(seconds):
    data = b"x" * (1 << 20)
    fd = os.open("/dev/zero", os.O_RDONLY)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hash_work(data)
        read_zero(fd)
        py_work()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
