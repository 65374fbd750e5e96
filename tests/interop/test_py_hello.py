"""Request-reply between zmsg and pyzmq, with the Hello World examples.

Proves that a pyzmq (libzmq) REQ client gets "World" back for every "Hello"
it sends to the zmsg hwserver, and that the zmsg hwclient gets its replies
from a pyzmq REP server (the REP binds and answers "World" to "Hello"): the
ZMTP handshake, the REQ/REP envelope (empty delimiter frame) and the
request/reply bodies pass unchanged in both directions, over tcp.

Usage: test_py_hello.py --bin-dir BUILD/examples
Exit status: 0 passed, 1 failed, 77 skipped (no pyzmq, or no examples).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import pyinterop as t  # noqa: E402

REQUESTS = 10


def req_to_hwserver(fx):
    """A pyzmq REQ sends "Hello" REQUESTS times to the C hwserver."""
    zmq = t.zmq
    ep = fx.endpoint("hello")
    server = fx.start("hwserver", "-e", ep, "-n", REQUESTS)
    req = fx.socket(zmq.REQ)
    # The server may not be listening yet: the REQ connects (and
    # reconnects) in the background, and the request waits for it.
    req.connect(ep)
    for i in range(REQUESTS):
        req.send(b"Hello")
        reply = t.recv_one(req, "reply %d from hwserver" % i)
        if reply != b"World":
            t.fail("reply %d from hwserver: %r, expected b'World'"
                   % (i, t.short(reply)))
    server.wait()
    got = t.lines_matching(server.stdout(), r"Received request: (.*)")
    requests = [m.group(1) for m in got]
    if requests != ["Hello"] * REQUESTS:
        t.fail("hwserver printed the requests %r, expected %d times 'Hello'"
               % (requests, REQUESTS))
    return "pyzmq REQ -> zmsg hwserver: %d Hello/World round trips" % REQUESTS


def hwclient_to_rep(fx):
    """The C hwclient sends REQUESTS requests to a pyzmq REP."""
    zmq = t.zmq
    rep = fx.socket(zmq.REP)
    ep = fx.bind(rep, "hello")
    client = fx.start("hwclient", "-e", ep, "-n", REQUESTS,
                      "-t", t.RECV_TIMEOUT_MS)
    for i in range(REQUESTS):
        request = t.recv_one(rep, "request %d from hwclient" % i)
        if request != b"Hello":
            t.fail("request %d from hwclient: %r, expected b'Hello'"
                   % (i, t.short(request)))
        rep.send(b"World")
    client.wait()
    t.expect_nothing(rep, 100, "request after the last one")
    got = t.lines_matching(client.stdout(), r"Received reply (\d+) \[(.*)\]")
    replies = [(int(m.group(1)), m.group(2)) for m in got]
    want = [(i, "World") for i in range(REQUESTS)]
    if replies != want:
        t.fail("hwclient printed the replies %r, expected %r"
               % (replies, want))
    return "zmsg hwclient -> pyzmq REP: %d Hello/World round trips" % REQUESTS


def cases(transport):
    return [
        (transport, "req-to-hwserver", req_to_hwserver),
        (transport, "hwclient-to-rep", hwclient_to_rep),
    ]


EXAMPLES = ["hwserver", "hwclient"]

if __name__ == "__main__":
    t.main("hello", EXAMPLES, cases("tcp"))
