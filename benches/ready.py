#!/usr/bin/env python3
"""Times `loaxa run` from exec to READY=1 on a NOTIFY_SOCKET (systemd's protocol), RUNS times,
stopping the daemon (SIGINT) after each; prints every time and the median in ms.

    ready.py RUNS loaxa -c CONFIG run --output null
"""
import os, signal, socket, statistics, subprocess, sys, tempfile, time

runs = int(sys.argv[1])
cmd = sys.argv[2:]
times = []
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "notify")
    for _ in range(runs):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(120)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            msg = s.recv(4096).decode()
            if "READY=1" in msg.split("\n"):
                break
        times.append((time.monotonic() - t0) * 1000)
        p.send_signal(signal.SIGINT)
        p.wait()
        s.close()
        os.unlink(path)
print("ready ms:", " ".join(f"{t:.1f}" for t in times))
print(f"median {statistics.median(times):.1f} ms over {runs} runs")
