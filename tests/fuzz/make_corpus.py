#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/*).

Deterministic: the same files every run. Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_corpus.py
Files named seed-* are replaced; anything else there (crash inputs kept as
regression tests) is left alone.

Formats:
  decoder    mode octet, 2-octet maxmsgsize (0xFFFF: none), frame stream
  handshake  64-octet greeting, then one command body (no frame header)
  engine     mode octet (odd: the target sends greeting+READY(PUSH) first),
             then the bytes a peer writes
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

MORE, LONG, COMMAND = 0x01, 0x02, 0x04
TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL",
         "PUSH", "XPUB", "XSUB"]


def greeting(major=3, minor=1, mechanism=b"NULL", as_server=0, filler=0):
    g = bytes([0xFF]) + bytes(8) + bytes([0x7F, major, minor])
    g += mechanism.ljust(20, b"\0") + bytes([as_server])
    return g + bytes([filler]) * 31


def frame(body, flags=0, long_form=None):
    if long_form is None:
        long_form = len(body) > 255
    if long_form:
        return bytes([flags | LONG]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def name(n):
    return bytes([len(n)]) + n


def prop(n, value):
    return name(n) + struct.pack(">I", len(value)) + value


def ready_body(stype, identity=None, extra=b""):
    body = name(b"READY") + prop(b"Socket-Type", stype.encode())
    if identity is not None:
        body += prop(b"Identity", identity)
    return body + extra


def cmd_bodies():
    """Command bodies worth starting from, by name."""
    return {
        "subscribe": name(b"SUBSCRIBE") + b"topic",
        "subscribe-empty": name(b"SUBSCRIBE"),
        "cancel": name(b"CANCEL") + b"topic",
        "ping": name(b"PING") + b"\x00\x64" + b"ctx",
        "ping-longctx": name(b"PING") + b"\x01\x00" + bytes(range(20)),
        "ping-short": name(b"PING") + b"\x00",
        "pong": name(b"PONG") + b"ctx",
        "error": name(b"ERROR") + name(b"Invalid socket type"),
        "unknown": name(b"HELLO") + b"data",
    }


def write(target, files):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for fname, data in files.items():
        with open(os.path.join(d, "seed-" + fname), "wb") as fh:
            fh.write(data)


def decoder_corpus():
    files = {}

    def add(fname, stream, mode=0, maxsize=0xFFFF):
        files[fname] = bytes([mode]) + struct.pack(">H", maxsize) + stream

    hello = frame(b"hello")
    for mode in range(4):
        add("hello-mode%d" % mode, hello, mode)
    add("hello-engine-buf8", hello + frame(bytes(300)), (7 << 2) | 3)
    add("empty", frame(b""))
    multi = frame(b"a", MORE) + frame(b"bb", MORE) + frame(b"ccc")
    add("multipart", multi)
    add("multipart-bytes", multi, 1)
    add("size-255", frame(bytes(255)))
    add("size-255-long", frame(bytes(255), long_form=True))
    add("size-256", frame(bytes(256)), 2)
    add("size-256-small-buf", frame(bytes(256)), (15 << 2) | 3)
    add("size-1000-max-1000", frame(b"x" * 1000), 3, 1000)
    add("size-over-max", frame(b"x" * 101), 0, 100)
    add("max-zero", frame(b"") + frame(b"x"), 0, 0)
    add("ready", frame(ready_body("PUSH"), COMMAND))
    for k, body in cmd_bodies().items():
        add("cmd-" + k, frame(body, COMMAND) + hello)
    add("more-on-command", frame(name(b"PING") + b"\0\0", COMMAND | MORE))
    add("reserved-bits", frame(b"x", 0x80))
    add("reserved-bit-3", frame(b"x", 0x08))
    add("huge-size", bytes([LONG]) + b"\xff" * 8)
    add("size-2pow63", bytes([LONG, 0x80]) + bytes(7))
    add("command-over-64k", bytes([COMMAND | LONG]) + struct.pack(">Q", 65537))
    # 65536 is still accepted for a command: the body just never comes.
    add("command-64k-announced",
        bytes([COMMAND | LONG]) + struct.pack(">Q", 65536) + name(b"X"))
    add("truncated-header", bytes([LONG, 0, 0, 0]))
    add("truncated-body", frame(b"0123456789")[:7])
    add("truncated-multipart", multi[:-2])
    return files


def handshake_corpus():
    files = {}
    g = greeting()
    for t in TYPES:
        files["ready-" + t.lower()] = g + ready_body(t)
    files["ready-identity"] = g + ready_body("DEALER", b"id-1")
    files["ready-identity-empty"] = g + ready_body("ROUTER", b"")
    files["ready-extra-props"] = g + ready_body(
        "SUB", extra=prop(b"Resource", b"/x") + prop(b"X-Foo", b"bar"))
    files["ready-unknown-type"] = g + ready_body("FOO")
    files["ready-bad-value-len"] = g + name(b"READY") + name(
        b"Socket-Type") + b"\xff\xff\xff\xff" + b"PUSH"
    files["ready-empty-prop-name"] = g + name(b"READY") + b"\x00"
    for k, body in cmd_bodies().items():
        files["cmd-" + k] = g + body
    files["cmd-name-len-0"] = g + b"\x00READY"
    files["cmd-name-too-long"] = g + b"\x09READY"
    files["cmd-name-digit"] = g + name(b"READY1")
    files["greeting-zmtp30"] = greeting(minor=0) + ready_body("REQ")
    files["greeting-zmtp20"] = greeting(major=1)
    files["greeting-plain"] = greeting(mechanism=b"PLAIN")
    files["greeting-as-server"] = greeting(as_server=1)
    files["greeting-libzmq-filler"] = greeting(filler=0xAA) + ready_body("REP")
    files["greeting-truncated"] = g[:30]
    files["greeting-zmtp10"] = b"\x01\x00" + g[2:]
    return files


def engine_corpus():
    files = {}
    hello = greeting() + frame(ready_body("PUSH"), COMMAND)

    def after_ready(fname, data):
        files[fname] = b"\x01" + data

    after_ready("message", frame(b"hello"))
    after_ready("multipart", frame(b"a", MORE) + frame(b"b", MORE)
                + frame(b"c"))
    after_ready("empty-frames", frame(b"") * 4)
    after_ready("size-255-256", frame(bytes(255)) + frame(bytes(256)))
    after_ready("size-4096", frame(b"y" * 4096))
    after_ready("size-4097", frame(b"y" * 4097))
    after_ready("long-form-small", frame(b"abc", long_form=True))
    for k, body in cmd_bodies().items():
        after_ready("cmd-" + k, frame(body, COMMAND) + frame(b"after"))
    after_ready("ready-again", frame(ready_body("PUSH"), COMMAND))
    after_ready("more-on-command", frame(name(b"PING") + b"\0\0",
                                         COMMAND | MORE))
    after_ready("reserved-bits", frame(b"x", 0x40))
    after_ready("huge-size", bytes([LONG]) + b"\x7f" + b"\xff" * 7)
    after_ready("truncated-frame", frame(b"0123456789")[:6])
    after_ready("truncated-multipart", frame(b"a", MORE) + frame(b"b")[:2])
    # More parts than the PULL's queue holds (RCVHWM 1000): input stalls.
    after_ready("many-messages", frame(b"m") * 1200)

    def raw(fname, data):
        files[fname] = b"\x00" + data

    raw("handshake-message", hello + frame(b"hello"))
    raw("handshake-identity", greeting()
        + frame(ready_body("PUSH", b"me"), COMMAND) + frame(b"x"))
    raw("wrong-socket-type", greeting() + frame(ready_body("PUB"), COMMAND))
    raw("libzmq-filler", greeting(filler=0x55) + frame(ready_body("PUSH"),
                                                       COMMAND))
    raw("zmtp30", greeting(minor=0) + frame(ready_body("PUSH"), COMMAND)
        + frame(b"v30"))
    raw("greeting-only", greeting())
    raw("message-before-ready", greeting() + frame(b"bad"))
    raw("ping-before-ready", greeting() + frame(cmd_bodies()["ping"],
                                                COMMAND))
    raw("greeting-truncated", greeting()[:20])
    raw("zmtp20", greeting(major=1))
    raw("plain", greeting(mechanism=b"PLAIN"))
    raw("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return files


def main():
    write("decoder", decoder_corpus())
    write("handshake", handshake_corpus())
    write("engine", engine_corpus())


if __name__ == "__main__":
    main()
