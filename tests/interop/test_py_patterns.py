"""What the other test_py_*.py scripts leave out, still with the examples.

Proves, between the zmsg examples and pyzmq (libzmq):
- ipc://: the hello, weather and pipeline cases of test_py_hello.py,
  test_py_weather.py and test_py_pipeline.py pass over ipc as over tcp;
- long frames (ZMTP's 8-octet size, sizes 255 to 1 MiB) both ways: a pyzmq
  REQ's long requests reach hwserver, which prints their first 255 bytes,
  and a pyzmq REP's long replies reach hwclient the same way;
- multipart messages from a pyzmq PUB to wuclient: the frames of a message
  arrive in order, and a message whose first frame does not match is not
  delivered at all, even if a later frame would;
- several peers at once: three pyzmq REQs with requests outstanding
  together against one hwserver, and three hwclients against one pyzmq
  REP, each requester getting exactly the replies to its own requests;
- PUB fan-out with per-subscriber filters done by the zmsg PUB, and
  unsubscribing: three pyzmq XSUBs (which filter nothing themselves) on
  one wuserver get only what each subscribed to; then one cancels its
  subscription and subscribes to something else on the same connection,
  and once the first update for the new one arrives the old one never does.

Usage: test_py_patterns.py --bin-dir BUILD/examples
Exit status: 0 passed, 1 failed, 77 skipped (no pyzmq, or no examples).
"""

import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import pyinterop as t  # noqa: E402
import test_py_hello as hello  # noqa: E402
import test_py_pipeline as pipeline  # noqa: E402
import test_py_weather as weather  # noqa: E402

# The examples read into 256-byte buffers and print what fits (255 bytes).
PRINTED = 255
LONG_SIZES = [PRINTED, 256, 257, 65536, 1 << 20]


def long_body(first, size):
    """size bytes of printable text starting with first."""
    filler = b"0123456789abcdefghijklmnopqrstuvwxyz"
    body = first + filler * (size // len(filler) + 1)
    return body[:size]


def long_requests_to_hwserver(fx):
    """A pyzmq REQ sends requests of LONG_SIZES bytes to hwserver."""
    zmq = t.zmq
    ep = fx.endpoint("hello")
    server = fx.start("hwserver", "-e", ep, "-n", len(LONG_SIZES))
    req = fx.socket(zmq.REQ)
    req.connect(ep)
    for size in LONG_SIZES:
        req.send(long_body(b"Hello", size))
        reply = t.recv_one(req, "reply to the %d-byte request" % size)
        if reply != b"World":
            t.fail("reply to the %d-byte request: %r, expected b'World'"
                   % (size, t.short(reply)))
    server.wait()
    got = [m.group(1) for m in t.lines_matching(server.stdout(),
                                                r"Received request: (.*)")]
    want = [long_body(b"Hello", size)[:PRINTED].decode() for size in
            LONG_SIZES]
    if got != want:
        t.fail("hwserver printed requests that differ from the first %d "
               "bytes of what was sent: %r" % (PRINTED, got))
    return ("pyzmq REQ -> zmsg hwserver: requests of %s bytes"
            % "/".join(map(str, LONG_SIZES)))


def long_replies_to_hwclient(fx):
    """A pyzmq REP answers hwclient with replies of LONG_SIZES bytes."""
    zmq = t.zmq
    rep = fx.socket(zmq.REP)
    ep = fx.bind(rep, "hello")
    client = fx.start("hwclient", "-e", ep, "-n", len(LONG_SIZES),
                      "-t", t.RECV_TIMEOUT_MS)
    for i, size in enumerate(LONG_SIZES):
        request = t.recv_one(rep, "request %d from hwclient" % i)
        if request != b"Hello":
            t.fail("request %d: %r, expected b'Hello'" % (i, request))
        rep.send(long_body(b"World", size))
    client.wait()
    got = [(int(m.group(1)), m.group(2)) for m in t.lines_matching(
        client.stdout(), r"Received reply (\d+) \[(.*)\]")]
    want = [(i, long_body(b"World", size)[:PRINTED].decode())
            for i, size in enumerate(LONG_SIZES)]
    if got != want:
        t.fail("hwclient printed replies that differ from the first %d bytes "
               "of what was sent: %r" % (PRINTED, got))
    return ("zmsg hwclient <- pyzmq REP: replies of %s bytes"
            % "/".join(map(str, LONG_SIZES)))


def multipart_to_wuclient(fx):
    """A pyzmq PUB sends two-frame messages; wuclient reads each frame as
    one update and averages them."""
    zmq = t.zmq
    pub = fx.socket(zmq.PUB)
    ep = fx.bind(pub, "weather")
    # Three whole messages are six updates: an average of (40 + 44) / 2.
    client = fx.start("wuclient", "-e", ep, "-n", 6,
                      "-t", t.RECV_TIMEOUT_MS, "10001")
    messages = [
        [b"10001 40 50", b"10001 44 50"],
        # The filter looks at the first frame only: this message must not
        # reach wuclient, not even its second frame.
        [b"99999 -80 10", b"10001 -80 10"],
        [b"10002 -80 10"],
    ]
    weather.publish_until_done(pub, messages, [client], 15)
    client.wait()
    m = t.expect_line(client, r"Average temperature for zipcode '10001' "
                              r"was (-?\d+)F")
    if int(m.group(1)) != 42:
        t.fail("wuclient averaged %sF, expected 42F: it got frames of "
               "messages it did not subscribe to, or lost frames"
               % m.group(1))
    return "zmsg wuclient <- pyzmq PUB: 3 two-frame messages, whole and in order"


def reqs_to_hwserver(fx, clients=3, rounds=5):
    """Several pyzmq REQs, each with a request outstanding at the same
    time, against one hwserver."""
    zmq = t.zmq
    ep = fx.endpoint("hello")
    server = fx.start("hwserver", "-e", ep, "-n", clients * rounds)
    reqs = []
    for _ in range(clients):
        req = fx.socket(zmq.REQ)
        req.connect(ep)
        reqs.append(req)
    sent = []
    for r in range(rounds):
        for c, req in enumerate(reqs):
            request = "Hello from %d round %d" % (c, r)
            req.send_string(request)
            sent.append(request)
        for c, req in enumerate(reqs):
            reply = t.recv_one(req, "reply to REQ %d in round %d" % (c, r))
            if reply != b"World":
                t.fail("REQ %d round %d: %r, expected b'World'"
                       % (c, r, t.short(reply)))
        # A REP that sent a reply to the wrong peer leaves one REQ waiting
        # (recv_one fails) and another with a second reply queued.
        for c, req in enumerate(reqs):
            t.expect_nothing(req, 0, "second reply for REQ %d" % c)
    server.wait()
    got = [m.group(1) for m in t.lines_matching(server.stdout(),
                                                r"Received request: (.*)")]
    if sorted(got) != sorted(sent):
        t.fail("hwserver printed the requests %r, expected %r" % (got, sent))
    return ("%d pyzmq REQs -> one zmsg hwserver: %d rounds, each reply to "
            "its own requester" % (clients, rounds))


def hwclients_to_rep(fx, clients=3, requests=5):
    """Several hwclients against one pyzmq REP."""
    zmq = t.zmq
    rep = fx.socket(zmq.REP)
    ep = fx.bind(rep, "hello")
    procs = [fx.start("hwclient", "-e", ep, "-n", requests,
                      "-t", t.RECV_TIMEOUT_MS) for _ in range(clients)]
    for i in range(clients * requests):
        request = t.recv_one(rep, "request %d of %d" % (i + 1,
                                                        clients * requests))
        if request != b"Hello":
            t.fail("request %d: %r, expected b'Hello'" % (i + 1, request))
        rep.send(b"World")
    for proc in procs:
        proc.wait()
        got = [(int(m.group(1)), m.group(2)) for m in t.lines_matching(
            proc.stdout(), r"Received reply (\d+) \[(.*)\]")]
        if got != [(i, "World") for i in range(requests)]:
            t.fail("a hwclient printed the replies %r" % got)
    t.expect_nothing(rep, 100, "request after the last one")
    return ("%d zmsg hwclients -> one pyzmq REP: %d round trips each"
            % (clients, requests))


def xsubs_to_wuserver(fx):
    """Three pyzmq XSUBs with different subscriptions on one wuserver; one
    of them then cancels and subscribes to something else."""
    zmq = t.zmq
    ep = fx.endpoint("weather")
    server = fx.start("wuserver", "-e", ep, "-z", weather.ZIPCODE)
    # prefix -> how many updates to check
    need = {weather.ZIPCODE: 20, "5": 20, "": 200}
    xsubs = {}
    poller = zmq.Poller()
    for prefix in need:
        x = fx.socket(zmq.XSUB)
        x.connect(ep)
        x.send(b"\x01" + prefix.encode())
        xsubs[prefix] = x
        poller.register(x, zmq.POLLIN)
    got = {prefix: [] for prefix in need}
    deadline = time.monotonic() + 10
    while any(len(got[p]) < need[p] for p in need):
        if time.monotonic() > deadline:
            t.fail("after 10 s the XSUBs have only %r of %r updates"
                   % ({p: len(g) for p, g in got.items()}, need))
        ready = dict(poller.poll(t.RECV_TIMEOUT_MS))
        if not ready:
            t.fail("no update within %d ms; so far %r"
                   % (t.RECV_TIMEOUT_MS, {p: len(g) for p, g in got.items()}))
        for prefix, x in xsubs.items():
            if x in ready:
                update = t.recv_one(x, "update for %r" % prefix)
                got[prefix].append(weather.check_update(
                    update, prefix, len(got[prefix])))
    everything = got[""]
    if weather.ZIPCODE not in everything or \
            all(z == weather.ZIPCODE for z in everything):
        t.fail("the XSUB subscribed to everything got %d updates for %s "
               "out of %d: expected both those and others"
               % (everything.count(weather.ZIPCODE), weather.ZIPCODE,
                  len(everything)))

    # Cancel "5" and subscribe to "7" on the same connection. They reach
    # the PUB in that order: updates for "5" already on their way may still
    # arrive, but none after the first one for "7".
    x = xsubs["5"]
    x.send(b"\x00" + b"5")
    x.send(b"\x01" + b"7")
    late = 0
    deadline = time.monotonic() + 10
    while True:
        if time.monotonic() > deadline:
            t.fail("no update for '7' within 10 s of subscribing to it")
        update = t.recv_one(x, "update for '7'")
        if update.startswith(b"7"):
            break
        weather.check_update(update, "5", late)
        late += 1
    for i in range(20):
        weather.check_update(t.recv_one(x, "update for '7'"), "7", i)
    # The others are not affected.
    for i in range(20):
        weather.check_update(t.recv_one(xsubs[weather.ZIPCODE], "update"),
                             weather.ZIPCODE, i)
    published = weather.stop_wuserver(server)
    return ("3 pyzmq XSUBs ('%s', '5', everything) <- zmsg wuserver: each "
            "got only its own; cancel '5' + subscribe '7': %d late '5', "
            "then only '7' (%d published)"
            % (weather.ZIPCODE, late, published))


def cases():
    return (hello.cases("ipc") + weather.cases("ipc") + pipeline.cases("ipc")
            + [
                ("tcp", "long-requests-to-hwserver",
                 long_requests_to_hwserver),
                ("tcp", "long-replies-to-hwclient", long_replies_to_hwclient),
                ("tcp", "multipart-to-wuclient", multipart_to_wuclient),
                ("tcp", "reqs-to-hwserver", reqs_to_hwserver),
                ("tcp", "hwclients-to-rep", hwclients_to_rep),
                ("tcp", "xsubs-to-wuserver", xsubs_to_wuserver),
            ])


if __name__ == "__main__":
    t.main("patterns", hello.EXAMPLES + weather.EXAMPLES + pipeline.EXAMPLES,
           cases())
