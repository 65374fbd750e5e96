"""The parallel pipeline with zmsg and pyzmq stages mixed, both ways.

Proves, over tcp:
- two zmsg taskwork workers take tasks from a pyzmq PUSH ventilator and
  push their results to a pyzmq PULL sink: every task comes back as one
  empty result, libzmq's PUSH spreads the tasks over both zmsg workers,
  and the workers' own counts add up to the batch;
- two pyzmq workers take the tasks of the zmsg taskvent and push results to
  the zmsg tasksink: every task is a workload of 1 to 10 ms whose sum is the
  "Total expected cost" taskvent prints, and tasksink gets the start of
  batch and every result, then ends by itself.

Usage: test_py_pipeline.py --bin-dir BUILD/examples
Exit status: 0 passed, 1 failed, 77 skipped (no pyzmq, or no examples).
"""

import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import pyinterop as t  # noqa: E402

TASKS = 100
WORKERS = 2
# taskwork ends when no task came for this long.
WORKER_IDLE_MS = 2000


def wait_for_handshakes(sock, mon, n, what):
    """Waits until n peers have completed the ZMTP handshake with sock, as
    told by mon, its libzmq monitor (started before the peers). libzmq
    attaches a peer's pipe before it reports the handshake, so a send after
    this reaches all n."""
    zmq = t.zmq
    from zmq.utils.monitor import recv_monitor_message
    deadline = time.monotonic() + t.RECV_TIMEOUT_MS / 1000
    seen = 0
    while seen < n:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not mon.poll(left_ms, zmq.POLLIN):
            t.fail("only %d of %d %s completed the handshake within %d ms"
                   % (seen, n, what, t.RECV_TIMEOUT_MS))
        event = recv_monitor_message(mon)
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            seen += 1
    sock.disable_monitor()


def c_workers(fx, workers=WORKERS, tasks=TASKS):
    """zmsg workers between a pyzmq ventilator and a pyzmq sink."""
    zmq = t.zmq
    sink = fx.socket(zmq.PULL)
    sink_ep = fx.bind(sink, "sink")
    vent = fx.socket(zmq.PUSH)
    vent_ep = fx.bind(vent, "vent")
    # A PUSH hands each task to one of the workers connected when it is
    # sent: wait for all of them, so that they all get some.
    mon = fx.monitor(vent, zmq.EVENT_HANDSHAKE_SUCCEEDED)
    procs = []
    for _ in range(workers):
        procs.append(fx.start("taskwork", "-v", vent_ep, "-s", sink_ep,
                              "-t", WORKER_IDLE_MS))
    wait_for_handshakes(vent, mon, workers, "zmsg workers")
    for _ in range(tasks):
        vent.send_string(str(random.randint(1, 3)))
    for i in range(tasks):
        result = t.recv_one(sink, "result %d of %d" % (i + 1, tasks))
        if result != b"":
            t.fail("result %d: %r, expected an empty message"
                   % (i + 1, t.short(result)))
    done = []
    for proc in procs:
        proc.wait(WORKER_IDLE_MS / 1000 + t.EXIT_TIMEOUT_S)
        m = t.expect_line(proc, r"taskwork: (\d+) tasks done")
        done.append(int(m.group(1)))
    t.expect_nothing(sink, 100, "result after the last one")
    if sum(done) != tasks or (workers > 1 and min(done) == 0):
        t.fail("the zmsg workers say they did %s tasks, expected %d in all "
               "and some for each" % (" + ".join(map(str, done)), tasks))
    return ("%d zmsg taskwork between pyzmq PUSH and PULL: %d tasks "
            "(split %s), %d empty results"
            % (workers, tasks, "/".join(map(str, done)), tasks))


def py_workers(fx, workers=WORKERS, tasks=TASKS):
    """pyzmq workers between the zmsg taskvent and the zmsg tasksink."""
    zmq = t.zmq
    vent_ep = fx.endpoint("vent")
    sink_ep = fx.endpoint("sink")
    # The seed's order: sink, workers, ventilator.
    sink = fx.start("tasksink", "-e", sink_ep, "-n", tasks)
    pulls, pushes = [], []
    poller = zmq.Poller()
    for _ in range(workers):
        pull = fx.socket(zmq.PULL)
        pull.connect(vent_ep)
        push = fx.socket(zmq.PUSH)
        push.connect(sink_ep)
        pulls.append(pull)
        pushes.append(push)
        poller.register(pull, zmq.POLLIN)
    vent = fx.start("taskvent", "-e", vent_ep, "-s", sink_ep, "-n", tasks)

    done = [0] * workers
    total_ms = 0
    while sum(done) < tasks:
        ready = dict(poller.poll(t.RECV_TIMEOUT_MS))
        if not ready:
            t.fail("no task within %d ms after %d of %d"
                   % (t.RECV_TIMEOUT_MS, sum(done), tasks))
        for w, pull in enumerate(pulls):
            if pull not in ready:
                continue
            task = t.recv_one(pull, "task")
            if not task.isdigit() or not 1 <= int(task) <= 10:
                t.fail("task %r is not a workload of 1 to 10 ms"
                       % t.short(task))
            total_ms += int(task)
            done[w] += 1
            # The seed's worker sleeps for the workload; these answer at
            # once, with the empty result tasksink counts.
            pushes[w].send(b"")
    vent.wait()
    sink.wait()
    for pull in pulls:
        t.expect_nothing(pull, 100, "task after the last one")
    m = t.expect_line(vent, r"Sending (\d+) tasks to workers\.\.\.")
    if int(m.group(1)) != tasks:
        t.fail("taskvent says it sent %s tasks, expected %d"
               % (m.group(1), tasks))
    m = t.expect_line(vent, r"Total expected cost: (\d+) msec")
    if int(m.group(1)) != total_ms:
        t.fail("taskvent's tasks add up to %s ms, the pyzmq workers got "
               "%d ms" % (m.group(1), total_ms))
    # A dot per result, a colon for every tenth.
    marks = sink.stdout().split("\n")[0]
    want = "".join(":" if i % 10 == 0 else "." for i in range(1, tasks + 1))
    if marks != want:
        t.fail("tasksink printed the progress marks %r, expected %r"
               % (marks, want))
    t.expect_line(sink, r"Total elapsed time: \d+ msec")
    return ("%d pyzmq workers between zmsg taskvent and tasksink: %d tasks "
            "(split %s) of %d ms in all, all results in"
            % (workers, tasks, "/".join(map(str, done)), total_ms))


def cases(transport):
    return [
        (transport, "c-workers-py-vent-sink", c_workers),
        (transport, "py-workers-c-vent-sink", py_workers),
    ]


EXAMPLES = ["taskvent", "taskwork", "tasksink"]

if __name__ == "__main__":
    t.main("pipeline", EXAMPLES, cases("tcp"))
