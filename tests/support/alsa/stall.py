#!/usr/bin/env python3
"""Pipe reader for ALSA's file plugin that stops reading after LIMIT bytes (a sound device that
hangs), then exits after HOLD seconds. An open without audio (EOF first) exits at once."""
import sys, time
limit = int(sys.argv[1]); hold = float(sys.argv[2])
inp = sys.stdin.buffer
got = 0
while got < limit:
    b = inp.read(min(65536, limit - got))
    if not b:
        sys.exit(0)
    got += len(b)
time.sleep(hold)
