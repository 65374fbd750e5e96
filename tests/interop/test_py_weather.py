"""Publish-subscribe between zmsg and pyzmq, with the weather examples.

Proves, over tcp:
- a pyzmq SUB subscribed to one zipcode gets updates from the zmsg wuserver,
  every one of them for that zipcode and in its "%05d %d %d" format;
- the filtering is done by the zmsg publisher, as a libzmq one does: a
  pyzmq XSUB, which filters nothing itself, gets only the updates for the
  zipcode it subscribed to (a SUB would hide a publisher that sends
  everything, since libzmq's SUB filters again on receipt);
- two zmsg wuclients subscribed to different zipcodes get from a pyzmq PUB
  what they subscribed to and nothing else: each prints the average of the
  temperature published for its zipcode only, while the PUB also sends
  other zipcodes, some sharing a prefix with the subscriptions.
The publishers keep publishing until the subscribers have what they need
(the slow joiner: a PUB drops what it sends before the subscription
arrives).

Usage: test_py_weather.py --bin-dir BUILD/examples
Exit status: 0 passed, 1 failed, 77 skipped (no pyzmq, or no examples).
"""

import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import pyinterop as t  # noqa: E402

ZIPCODE = "10001"  # the seed's default, New York
UPDATES = 100  # how many updates the pyzmq subscribers check
UPDATE_RE = r"(\d{5}) (-?\d+) (-?\d+)"


def check_update(update, prefix, i):
    """Checks one update from wuserver: "%05d %d %d" with the seed's
    ranges, the zipcode starting with prefix. Returns the zipcode."""
    m = t.lines_matching(update.decode("ascii", "replace"), UPDATE_RE)
    if len(m) != 1 or b"\n" in update:
        t.fail("update %d: %r is not \"%%05d %%d %%d\"" % (i, t.short(update)))
    zipcode, temperature, relhumidity = (m[0].group(1), int(m[0].group(2)),
                                         int(m[0].group(3)))
    if not zipcode.startswith(prefix):
        t.fail("update %d: %r is for zipcode %s, but the subscription was "
               "%r" % (i, update, zipcode, prefix))
    if not (-80 <= temperature < 135 and 10 <= relhumidity < 60):
        t.fail("update %d: %r has values out of the publisher's ranges"
               % (i, update))
    return zipcode


def collect(sock, n, prefix, what):
    """Receives n single-part updates from wuserver on sock, checking each."""
    for i in range(n):
        update = t.recv_one(sock, "%s update %d of %d" % (what, i + 1, n))
        check_update(update, prefix, i)


def stop_wuserver(server):
    """SIGTERM stops wuserver between two updates; it must exit 0 and say
    how many it published."""
    server.terminate()
    m = t.expect_line(server, r"wuserver: (\d+) updates published, "
                              r"(\d+) dropped for slow subscribers")
    return int(m.group(1))


def sub_to_wuserver(fx):
    """A pyzmq SUB subscribed to ZIPCODE, against the C wuserver."""
    zmq = t.zmq
    ep = fx.endpoint("weather")
    server = fx.start("wuserver", "-e", ep, "-z", ZIPCODE)
    sub = fx.socket(zmq.SUB)
    sub.setsockopt_string(zmq.SUBSCRIBE, ZIPCODE)
    sub.connect(ep)
    # wuserver publishes flat out: the SUB only has to wait.
    collect(sub, UPDATES, ZIPCODE, "SUB")
    published = stop_wuserver(server)
    return ("pyzmq SUB <- zmsg wuserver: %d updates, all for %s "
            "(%d published)" % (UPDATES, ZIPCODE, published))


def xsub_to_wuserver(fx):
    """A pyzmq XSUB (no local filter) subscribed to ZIPCODE, against the C
    wuserver: what arrives is what the zmsg PUB chose to send."""
    zmq = t.zmq
    ep = fx.endpoint("weather")
    server = fx.start("wuserver", "-e", ep, "-z", ZIPCODE)
    xsub = fx.socket(zmq.XSUB)
    xsub.connect(ep)
    # An XSUB subscribes by sending \x01 + topic (libzmq turns it into a
    # ZMTP 3.1 SUBSCRIBE command).
    xsub.send(b"\x01" + ZIPCODE.encode())
    collect(xsub, UPDATES, ZIPCODE, "XSUB")
    published = stop_wuserver(server)
    return ("pyzmq XSUB <- zmsg wuserver: %d updates, all for %s: filtered "
            "by the zmsg PUB (%d published)" % (UPDATES, ZIPCODE, published))


# What the pyzmq PUB publishes to the wuclients: a constant temperature per
# subscribed zipcode, so that each wuclient's average tells whether it got
# anything else; and noise, some of it sharing a prefix with them.
WUCLIENT_ZIPCODES = {"10001": 73, "00501": -12}
NOISE = [b"10002 -80 10", b"10000 134 59", b"00502 -80 10", b"01001 120 50",
         b"99999 -80 59", b"1000 -80 10", b"0050 134 10"]
WUCLIENT_UPDATES = 5


def publish_until_done(pub, messages, children, deadline_s):
    """Publishes messages (a list of lists of frames) over and over until
    every child has ended or the deadline has passed."""
    deadline = time.monotonic() + deadline_s
    while True:
        running = [c for c in children if c.running()]
        if not running:
            return
        if time.monotonic() > deadline:
            t.fail("%s: still running after %g s of publishing"
                   % (", ".join(c.label() for c in running), deadline_s))
        for frames in messages:
            # A PUB never blocks: what no subscriber wants is dropped.
            pub.send_multipart(frames)
        # A round every millisecond at most, or until a subscriber is done.
        running[0].ended_within(0.001)


def wuclients_to_pub(fx):
    """Two C wuclients, subscribed to different zipcodes, against a pyzmq
    PUB."""
    zmq = t.zmq
    pub = fx.socket(zmq.PUB)
    ep = fx.bind(pub, "weather")
    clients = {}
    for zipcode in WUCLIENT_ZIPCODES:
        clients[zipcode] = fx.start("wuclient", "-e", ep,
                                    "-n", WUCLIENT_UPDATES,
                                    "-t", t.RECV_TIMEOUT_MS, zipcode)
    messages = [[b"%s %d 50" % (z.encode(), temp)]
                for z, temp in WUCLIENT_ZIPCODES.items()]
    messages += [[n] for n in NOISE]
    publish_until_done(pub, messages, list(clients.values()), 15)
    for zipcode, client in clients.items():
        client.wait()
        m = t.expect_line(client, r"Average temperature for zipcode "
                                  r"'(\d+)' was (-?\d+)F")
        if m.group(1) != zipcode or int(m.group(2)) != \
                WUCLIENT_ZIPCODES[zipcode]:
            t.fail("wuclient %s printed %r, expected an average of %dF for "
                   "zipcode '%s'" % (zipcode, m.group(0),
                                     WUCLIENT_ZIPCODES[zipcode], zipcode))
    return ("zmsg wuclients %s <- pyzmq PUB: %d updates each, only their own"
            % (" and ".join(WUCLIENT_ZIPCODES), WUCLIENT_UPDATES))


def cases(transport):
    return [
        (transport, "sub-to-wuserver", sub_to_wuserver),
        (transport, "xsub-to-wuserver", xsub_to_wuserver),
        (transport, "wuclients-to-pub", wuclients_to_pub),
    ]


EXAMPLES = ["wuserver", "wuclient"]

if __name__ == "__main__":
    t.main("weather", EXAMPLES, cases("tcp"))
