"""Shared plumbing for the test_py_*.py scripts: zmsg's examples against pyzmq.

Each script lists its cases and calls main(). This module:

- reads --bin-dir (where the example programs were built) and exits 77
  (skipped) when `import zmq` fails or an example is missing there;
- runs each case with a Fixture that starts example programs, makes pyzmq
  sockets and hands out endpoints (free tcp ports on 127.0.0.1, or ipc
  paths in a private temporary directory), and cleans all of it up;
- bounds every wait: receives through RCVTIMEO or poll, children through a
  timeout, the whole script through SIGALRM;
- prints one line per case and exits 0 if all passed, 1 otherwise.

A case is a function taking the Fixture and returning a short summary of
what it checked; it calls fail() (or lets Failure propagate) to fail. Every
child a case starts must have been waited for, with its exit status
checked, by the end of the case: one still running then is a failure, and
is killed.

Python 3 standard library and pyzmq only.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
# Every receive gives up after this long.
RECV_TIMEOUT_MS = 5000
# A child that should end by itself gets this long once it has all it needs.
EXIT_TIMEOUT_S = 10
# The whole script must be done by then (ctest's TIMEOUT is much larger).
SCRIPT_LIMIT_S = 50

zmq = None  # the pyzmq module, once load() has imported it


class Failure(Exception):
    """A check failed; the message says what was expected and what came."""


def fail(message):
    raise Failure(message)


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def load(examples):
    """Parses the command line, imports zmq and checks that the examples
    exist; exits 77 if either is missing. Returns the binary directory."""
    global zmq
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    parser.add_argument("--bin-dir", required=True,
                        help="directory holding the built examples")
    args = parser.parse_args()
    try:
        import zmq as zmq_module
    except ImportError as e:
        skip("cannot import zmq (pyzmq): %s" % e)
    zmq = zmq_module
    for name in examples:
        path = os.path.join(args.bin_dir, name)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            skip("%s not found in %s (configure with -DZMSG_BUILD_EXAMPLES=ON)"
                 % (name, args.bin_dir))
    return args.bin_dir


def free_tcp_port():
    """A tcp port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    """One example program running in the background; its output goes to
    temporary files, read once it has ended."""

    def __init__(self, bin_dir, name, args):
        self.name = name
        self.argv = [os.path.join(bin_dir, name)] + [str(a) for a in args]
        self.status = None
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err)

    def label(self):
        return " ".join([self.name] + self.argv[1:])

    def running(self):
        return self.proc.poll() is None

    def ended_within(self, timeout_s):
        """Waits at most timeout_s for the child to end; says whether it
        has (without checking its status: wait() does that)."""
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def wait(self, timeout_s=EXIT_TIMEOUT_S, expect=0):
        """Waits for the child to end by itself and checks its status."""
        try:
            self.status = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            fail("%s still running after %g s" % (self.label(), timeout_s))
        if self.status != expect:
            fail("%s exited with status %s, expected %d"
                 % (self.label(), describe_status(self.status), expect))

    def terminate(self, timeout_s=EXIT_TIMEOUT_S):
        """Sends SIGTERM to a child that stops cleanly on it; checks that
        it exits 0."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        self.wait(timeout_s)

    def kill(self):
        """Kills the child if it is still running; returns True if it was."""
        if not self.running():
            if self.status is None:
                self.status = self.proc.returncode
            return False
        self.proc.kill()
        self.status = self.proc.wait()
        return True

    def _read(self, f):
        f.seek(0)
        return f.read().decode("utf-8", "replace")

    def stdout(self):
        return self._read(self._out)

    def stderr(self):
        return self._read(self._err)

    def close(self):
        self._out.close()
        self._err.close()

    def report(self):
        """What it printed, for a failure message."""
        lines = ["  %s (exit status %s)" % (self.label(),
                                           describe_status(self.status))]
        for what, text in (("stdout", self.stdout()), ("stderr", self.stderr())):
            text = text.rstrip("\n")
            if len(text) > 2000:
                text = "[...]" + text[-2000:]
            if text:
                lines.append("    %s:" % what)
                lines.extend("      " + line for line in text.split("\n"))
        return "\n".join(lines)


def describe_status(status):
    if status is None:
        return "unknown"
    if status < 0:
        return "%d (killed by signal %d)" % (status, -status)
    return str(status)


class Fixture:
    """What one case uses: children, pyzmq sockets, endpoints."""

    def __init__(self, bin_dir, transport):
        self.bin_dir = bin_dir
        self.transport = transport
        self.ctx = zmq.Context()
        self.sockets = []
        self.children = []
        self._dir = None
        self._names = 0

    # --- endpoints --------------------------------------------------------

    def endpoint(self, name):
        """An endpoint for an example that binds: a free tcp port on
        127.0.0.1, or a fresh ipc path. The same string serves to connect."""
        if self.transport == "tcp":
            return "tcp://127.0.0.1:%d" % free_tcp_port()
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="zmsg-py-")
        self._names += 1
        return "ipc://%s/%s-%d.ipc" % (self._dir, name, self._names)

    def bind(self, sock, name):
        """Binds a pyzmq socket to a fresh endpoint; returns it."""
        if self.transport == "tcp":
            sock.bind("tcp://127.0.0.1:*")
            return sock.getsockopt_string(zmq.LAST_ENDPOINT)
        ep = self.endpoint(name)
        sock.bind(ep)
        return ep

    # --- pyzmq sockets ----------------------------------------------------

    def socket(self, kind):
        """A pyzmq socket with bounded receives and sends and no linger."""
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.RCVTIMEO, RECV_TIMEOUT_MS)
        s.setsockopt(zmq.SNDTIMEO, RECV_TIMEOUT_MS)
        s.setsockopt(zmq.LINGER, 0)
        self.sockets.append(s)
        return s

    def monitor(self, sock, events):
        """A libzmq monitor of sock for events (a PAIR socket reading
        them)."""
        mon = sock.get_monitor_socket(events)
        self.sockets.append(mon)
        return mon

    # --- children ---------------------------------------------------------

    def start(self, name, *args):
        child = Child(self.bin_dir, name, args)
        self.children.append(child)
        return child

    def cleanup(self, passed):
        """Kills what is left. Returns a failure message if a child was
        still running although the case passed (its status was never
        checked), else None."""
        late = []
        for child in self.children:
            if child.kill() and passed:
                late.append(child.label())
        for s in self.sockets:
            s.close(linger=0)
        self.ctx.term()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        if late:
            return ("still running at the end of the case (killed): "
                    + ", ".join(late))
        return None

    def reports(self):
        return "\n".join(child.report() for child in self.children)

    def close(self):
        for child in self.children:
            child.close()


# --- receiving --------------------------------------------------------------


def recv_parts(sock, what):
    """Receives one whole message (a list of frames); fails after
    RECV_TIMEOUT_MS. `what` names the message in the failure."""
    try:
        return sock.recv_multipart()
    except zmq.Again:
        fail("no %s within %d ms" % (what, RECV_TIMEOUT_MS))


def recv_one(sock, what):
    """Receives a single-part message and returns its bytes."""
    parts = recv_parts(sock, what)
    if len(parts) != 1:
        fail("%s: expected one part, got %d: %r" % (what, len(parts),
                                                    short_parts(parts)))
    return parts[0]


def expect_nothing(sock, ms, what):
    """Checks that nothing arrives on sock within ms milliseconds."""
    if sock.poll(ms, zmq.POLLIN):
        parts = sock.recv_multipart()
        fail("unexpected %s: %r" % (what, short_parts(parts)))


def short(data, limit=60):
    if len(data) <= limit:
        return data
    return data[:limit] + b"...(%d bytes)" % len(data)


def short_parts(parts):
    return [short(p) for p in parts]


# --- checks on what the examples printed ------------------------------------


def lines_matching(text, pattern):
    """The lines of text that match pattern (a regular expression), as
    match objects."""
    regex = re.compile(pattern)
    return [m for m in (regex.fullmatch(line) for line in text.splitlines())
            if m]


def expect_line(child, pattern):
    """Returns the match of the single line of child's stdout that matches
    pattern; fails if there is none or more than one."""
    found = lines_matching(child.stdout(), pattern)
    if len(found) != 1:
        fail("%s: expected one line matching %r in its output, found %d"
             % (child.name, pattern, len(found)))
    return found[0]


# --- running the cases ------------------------------------------------------


class _Timeout(Failure):
    pass


def _on_alarm(signum, frame):
    raise _Timeout("the script ran for more than %d s" % SCRIPT_LIMIT_S)


def main(title, examples, cases):
    """Runs cases, a list of (transport, name, function); prints one line
    per case; exits 0 if they all passed, 1 otherwise."""
    bin_dir = load(examples)
    print("# %s: zmsg examples from %s against pyzmq %s (libzmq %s)"
          % (title, bin_dir, zmq.pyzmq_version(), zmq.zmq_version()))
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(SCRIPT_LIMIT_S)
    failed = 0
    for i, (transport, name, fn) in enumerate(cases):
        label = "%s/%s" % (transport, name)
        fixture = Fixture(bin_dir, transport)
        start = time.monotonic()
        error = None
        timed_out = False
        summary = ""
        try:
            try:
                summary = fn(fixture)
            except _Timeout as e:
                error = str(e)
                timed_out = True
            except Failure as e:
                error = str(e)
            finally:
                late = fixture.cleanup(passed=error is None)
            if error is None and late is not None:
                error = late
            elapsed = time.monotonic() - start
            if error is None:
                print("ok   %s: %s (%.1f s)" % (label, summary, elapsed))
            else:
                failed += 1
                print("FAIL %s: %s (%.1f s)" % (label, error, elapsed))
                if fixture.children:
                    print(fixture.reports())
        finally:
            fixture.close()
        sys.stdout.flush()
        if timed_out:
            for transport, name, fn in cases[i + 1:]:
                failed += 1
                print("FAIL %s/%s: not run (out of time)" % (transport, name))
            break
    signal.alarm(0)
    print("# %d of %d cases passed" % (len(cases) - failed, len(cases)))
    sys.exit(1 if failed else 0)
