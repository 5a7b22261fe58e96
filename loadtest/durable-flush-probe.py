#!/usr/bin/env python3
# loadtest/durable-flush-probe.py <folder on the agent's disk>: the two ways the agent has had of
# making a save durable, 50 rounds each of 6 kB, medians in ms. It removes what it made.
import os, statistics, sys, time

folder = sys.argv[1]
made_folder = not os.path.exists(folder)
os.makedirs(folder, exist_ok=True)
data = b'x' * 6000
copy, temp, slot_path = (os.path.join(folder, name) for name in ('copy', '.copy.tmp', 'slot'))

def replaced_copy():  # before: temp file, fsync, rename, the directory's fsync
    fd = os.open(temp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC); os.write(fd, data); os.fsync(fd); os.close(fd)
    os.rename(temp, copy)
    dfd = os.open(folder, os.O_RDONLY); os.fsync(dfd); os.close(dfd)

slot = os.open(slot_path, os.O_CREAT | os.O_RDWR)
os.pwrite(slot, b' ' * 16384, 0); os.fsync(slot)  # a slot: its blocks written once, its size fixed

def slot_round():  # now: in place, fdatasync
    os.pwrite(slot, data, 0); os.fdatasync(slot)

try:
    for name, round_ in (('temp file + fsync + rename + directory fsync', replaced_copy),
                         ('in-place write + fdatasync', slot_round)):
        times = []
        for _ in range(50):
            start = time.perf_counter(); round_(); times.append((time.perf_counter() - start) * 1000)
        print(f'{name}: median {statistics.median(times):.2f} ms')
finally:
    os.close(slot)
    for path in (copy, temp, slot_path):
        if os.path.exists(path):
            os.remove(path)
    if made_folder:
        os.rmdir(folder)
