#!/usr/bin/python3
"""zmsg-cat against pyzmq (libzmq underneath), over tcp.

Usage: test_zmsg_cat_pyzmq.py ZMSG_CAT CASE

CASE is one of:
  push  pyzmq PULL binds and receives what zmsg-cat --push --connect sends
  pull  zmsg-cat --pull --connect receives from a pyzmq PUSH that binds
  req   zmsg-cat --req --connect asks a pyzmq REP, prints its replies
  rep   a pyzmq REQ asks zmsg-cat --rep --bind (echo), reads it on stderr
  sub   zmsg-cat --sub TOPIC --connect, pyzmq PUB binds: only TOPIC arrives

The pyzmq side binds an ephemeral port, or reads the one zmsg-cat reports
for its wildcard bind. Exits 77 (skipped) when pyzmq cannot be imported.
"""

import subprocess
import sys
import time

try:
    import zmq
except ImportError:
    print("SKIP: cannot import zmq (install python3-zmq)")
    sys.exit(77)

TIMEOUT_S = 60


def fail(msg, proc=None):
    print(f"FAIL: {msg}", file=sys.stderr)
    if proc is not None:
        out, err = proc.communicate(timeout=TIMEOUT_S)
        print(f"--- zmsg-cat exit {proc.returncode}\nstdout: {out!r}\n"
              f"stderr: {err!r}", file=sys.stderr)
    sys.exit(1)


def start(zc, *args):
    return subprocess.Popen([zc, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(proc, expect_out):
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("zmsg-cat did not finish", proc)
    if proc.returncode != 0:
        fail(f"zmsg-cat exited {proc.returncode}: {err!r}")
    if out != expect_out:
        fail(f"zmsg-cat printed {out!r}, expected {expect_out!r}")


def socket(ctx, kind):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 1000)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_S * 1000)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_S * 1000)
    return s


def bound_endpoint(proc):
    """The endpoint that zmsg-cat reports for its wildcard bind."""
    line = proc.stderr.readline().decode()
    prefix = "zmsg-cat: bound to "
    if not line.startswith(prefix):
        fail(f"expected '{prefix}...' on stderr, got {line!r}", proc)
    return line[len(prefix):].strip()


def case_push(zc, ctx):
    pull = socket(ctx, zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    proc = start(zc, "--push", "--connect", f"tcp://127.0.0.1:{port}",
                 "--data", "from zmsg", "--count", "3", "--timeout", "20000")
    got = [pull.recv() for _ in range(3)]
    if got != [b"from zmsg"] * 3:
        fail(f"pyzmq PULL got {got!r}", proc)
    finish(proc, b"")


def case_pull(zc, ctx):
    push = socket(ctx, zmq.PUSH)
    port = push.bind_to_random_port("tcp://127.0.0.1")
    proc = start(zc, "--pull", "--connect", f"tcp://127.0.0.1:{port}",
                 "--count", "3", "--format", "hex", "--timeout", "20000")
    for msg in (b"one", b"\x00\xff", b""):
        push.send(msg)
    finish(proc, b"6f6e65\n00ff\n\n")


def case_req(zc, ctx):
    rep = socket(ctx, zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    proc = start(zc, "--req", "--connect", f"tcp://127.0.0.1:{port}",
                 "--data", "question", "--count", "2", "--timeout", "20000")
    for i in range(2):
        request = rep.recv()
        if request != b"question":
            fail(f"pyzmq REP got {request!r}", proc)
        rep.send(b"answer %d" % i)
    finish(proc, b"answer 0\nanswer 1\n")


def case_rep(zc, ctx):
    proc = start(zc, "--rep", "--bind", "tcp://127.0.0.1:*", "--count", "2",
                 "--timeout", "20000")
    req = socket(ctx, zmq.REQ)
    req.connect(bound_endpoint(proc))
    req.send(b"echo me")
    if req.recv() != b"echo me":
        fail("zmsg-cat --rep did not echo a single part", proc)
    req.send_multipart([b"two", b"parts"])
    if req.recv_multipart() != [b"two", b"parts"]:
        fail("zmsg-cat --rep did not echo two parts", proc)
    finish(proc, b"echo me\ntwo parts\n")


def case_sub(zc, ctx):
    pub = socket(ctx, zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    proc = start(zc, "--sub", "weather", "--connect",
                 f"tcp://127.0.0.1:{port}", "--count", "3", "--timeout",
                 "20000")
    # The subscription reaches the PUB some time after the connect: publish
    # until zmsg-cat has its three messages.
    deadline = time.monotonic() + TIMEOUT_S
    i = 0
    while proc.poll() is None and time.monotonic() < deadline:
        pub.send(b"news %d" % i)
        pub.send(b"weather %d" % i)
        i += 1
        time.sleep(0.01)
    out, err = proc.communicate(timeout=TIMEOUT_S)
    if proc.returncode != 0:
        fail(f"zmsg-cat --sub exited {proc.returncode}: {err!r}")
    lines = out.decode().splitlines()
    if len(lines) != 3 or not all(l.startswith("weather ") for l in lines):
        fail(f"zmsg-cat --sub weather printed {out!r}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    zc, case = sys.argv[1], sys.argv[2]
    run = globals().get(f"case_{case}")
    if run is None:
        print(f"no case {case!r}", file=sys.stderr)
        return 2
    ctx = zmq.Context()
    try:
        run(zc, ctx)
    finally:
        ctx.destroy(linger=0)
    print(f"ok: zmsg-cat {case} against pyzmq {zmq.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
