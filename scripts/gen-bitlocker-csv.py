#!/usr/bin/env python3
"""Writes a CSV of COUNT random, valid BitLocker keys (header row, one device each) for the
escrow benchmarks: gen-bitlocker-csv.py COUNT OUT.csv [SEED]. Prints nothing."""
import random
import sys
import uuid

count, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
with open(out, "w", newline="") as f:
    f.write("Device name,Serial,Volume,Key ID,Recovery key\r\n")
    for i in range(count):
        key_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        password = "-".join("%06d" % (rng.randrange(65536) * 11) for _ in range(8))
        f.write(f"PC-{sys.argv[3] if len(sys.argv) > 3 else 1}-{i:07d},SN{i:07d},C:,{key_id},{password}\r\n")
