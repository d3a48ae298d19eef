#!/usr/bin/env python3
"""Real-time pipe reader for ALSA's file plugin that also says WHEN each byte came out.

    pace_log.py BYTES_PER_SEC OUTFILE LOGFILE [PIPE_BYTES]

`{stream}` in OUTFILE and LOGFILE becomes a name unique to this stream (as in pace.py), so
every stream the app opens gets its own pair of files.

Like pace.py it plays the sound card: it takes the audio from stdin at BYTES_PER_SEC and
appends it to OUTFILE. After every write it appends "WALL_TIME TOTAL_BYTES" to LOGFILE
(`time.time()`, seconds since the epoch), so a byte offset in the capture maps to the wall
time it "reached the speaker". Differences from pace.py, both to keep the queue in front of
this "speaker" as short as a sound card's:
- the pipe is shrunk to PIPE_BYTES (default 4096, one page, the least Linux allows: 23 ms)
  with F_SETPIPE_SZ; the default 64 KiB pipe would add 370 ms of 44.1 kHz stereo S16. (The
  file plugin itself holds back one ALSA buffer before it writes, the same delay a sound
  card's full ring buffer gives, so what leaves the pipe is what a card would play, 23 ms
  late.)
- stdin is read with os.read (no 8 KiB BufferedReader in between), 2.5 ms at a time.
"""
import fcntl, os, sys, time

rate = int(sys.argv[1])
stream = f"{time.time_ns()}-{os.getpid()}"
out = open(sys.argv[2].replace("{stream}", stream), "wb", buffering=0)
log = open(sys.argv[3].replace("{stream}", stream), "w", buffering=1)
want = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)

# alsa-lib starts writing as soon as it has started us, so by now the (64 KiB) pipe is
# likely full, and Linux refuses to shrink a pipe below what it holds (EBUSY). Take what is
# there, shrink, and repeat until the shrink succeeds.
backlog = bytearray()
os.set_blocking(0, False)
shrunk = None
for _ in range(2000):
    try:
        while True:
            b = os.read(0, 65536)
            if not b:
                break
            backlog += b
    except BlockingIOError:
        pass
    try:
        fcntl.fcntl(0, F_SETPIPE_SZ, want)
        shrunk = True
        break
    except OSError as e:
        shrunk = e
        time.sleep(0.0005)
os.set_blocking(0, True)
log.write(f"# pipe {fcntl.fcntl(0, F_GETPIPE_SZ)} bytes (asked {want}: {shrunk})\n")
# What alsa wrote before the pipe was shrunk goes out at once: the start of the stream is
# compressed in time (a real card would not have queued it), the steady state is not.
log.write(f"# backlog at start {len(backlog)} bytes, written at once\n")
done = 0
if backlog:
    out.write(backlog)
    done = len(backlog)
    log.write(f"{time.time():.6f} {done}\n")
chunk = max((rate // 400) // 4 * 4, 4)   # 2.5 ms, whole S16 stereo frames
t0 = time.monotonic() - done / rate
while True:
    b = os.read(0, chunk)
    if not b:
        break
    out.write(b)
    done += len(b)
    log.write(f"{time.time():.6f} {done}\n")
    lag = done / rate - (time.monotonic() - t0)
    if lag > 0:
        time.sleep(lag)
    elif lag < -0.05:
        # Starved (nothing to play for a while, as between programs): a sound card does not
        # play the missed time later in a rush, so restart the clock from here.
        t0 = time.monotonic() - done / rate
