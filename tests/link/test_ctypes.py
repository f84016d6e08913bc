#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python's ctypes loads libptsim.so.0 (dlopen) and drives one checked mm,
from the main thread and from Python threads.

Usage: test_ctypes.py [LIBRARY] [EXPECTED_VERSION]
"""
import ctypes
import sys
import threading

lib_path = sys.argv[1] if len(sys.argv) > 1 else "libptsim.so.0"
expected = sys.argv[2] if len(sys.argv) > 2 else None

lib = ctypes.CDLL(lib_path)
u64 = ctypes.c_uint64
lib.ptsim_version.restype = ctypes.c_char_p
lib.ptsim_strategy_parse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
lib.ptsim_mm_create.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
lib.ptsim_mm_destroy.argtypes = [ctypes.c_void_p]
lib.ptsim_mmap.argtypes = [ctypes.c_void_p, u64, u64, ctypes.c_int, ctypes.c_int, ctypes.POINTER(u64)]
lib.ptsim_touch.argtypes = [ctypes.c_void_p, u64, u64, ctypes.c_int]
lib.ptsim_madvise.argtypes = [ctypes.c_void_p, u64, u64, ctypes.c_int]
lib.ptsim_mm_check.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]

# From <ptsim/ptsim.h>.
PROT_RW, MAP_FIXED, ACCESS_WRITE, MADV_DONTNEED = 0x3, 0x10, 1, 4
BASE, LEN = 0x600000000000, 8 << 20

version = lib.ptsim_version().decode()
if expected is not None and version != expected:
    sys.exit(f"test_ctypes: loaded version {version}, expected {expected}")

strategy = ctypes.c_int()
if lib.ptsim_strategy_parse(b"rcu", ctypes.byref(strategy)) != 0:
    sys.exit("test_ctypes: ptsim_strategy_parse(rcu) failed")


def workload():
    mm = ctypes.c_void_p()
    addr = u64()
    msg = ctypes.create_string_buffer(256)
    if lib.ptsim_mm_create(strategy, ctypes.byref(mm)) != 0:
        raise RuntimeError("ptsim_mm_create failed")
    for name, err in (
        ("mmap", lib.ptsim_mmap(mm, BASE, LEN, PROT_RW, MAP_FIXED, ctypes.byref(addr))),
        ("touch", lib.ptsim_touch(mm, BASE, LEN, ACCESS_WRITE)),
        ("madvise", lib.ptsim_madvise(mm, BASE, LEN, MADV_DONTNEED)),
        ("touch again", lib.ptsim_touch(mm, BASE, LEN, ACCESS_WRITE)),
        ("mm_check", lib.ptsim_mm_check(mm, msg, len(msg))),
    ):
        if err != 0:
            raise RuntimeError(f"ptsim_{name}: {err} {msg.value.decode()}")
    lib.ptsim_mm_destroy(mm)


workload()
errors = []


def thread_main():
    try:
        workload()
    except Exception as e:  # reported by the main thread
        errors.append(e)


threads = [threading.Thread(target=thread_main) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    sys.exit(f"test_ctypes: {errors[0]}")
print(f"test_ctypes: {lib_path} {version} loaded by ctypes, used by 5 threads")
