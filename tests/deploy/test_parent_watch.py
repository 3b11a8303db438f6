"""`kill -INT <make>` alone: GNU make forwards nothing to the runner and waits for it, so the
runner watches its parent and stops when the parent is dying of a stop signal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from alumni_local.__main__ import ParentWatch, dying_of_a_stop_signal

# `/proc/<make>/status` of a `make run` measured on this machine: idle, then after `kill -INT`.
MAKE_IDLE = "Name:\tmake\nSigQ:\t0/63443\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n" \
            "SigIgn:\t0000000001001001\nSigCgt:\t0000000000814206\n"
MAKE_INTERRUPTED = "Name:\tmake\nSigQ:\t0/63443\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000010002\n" \
                   "SigIgn:\t0000000001001001\nSigCgt:\t0000000000814204\n"


def test_a_parent_handling_sigint_to_die_by_it_is_recognised() -> None:
    assert dying_of_a_stop_signal(MAKE_INTERRUPTED)
    assert not dying_of_a_stop_signal(MAKE_IDLE)
    # SIGINT blocked but still caught: a critical section, not a dying process.
    assert not dying_of_a_stop_signal(MAKE_INTERRUPTED.replace("0000000000814204", "0000000000814206"))
    # Only SIGCHLD blocked: not a stop signal.
    assert not dying_of_a_stop_signal(MAKE_INTERRUPTED.replace("0000000000010002", "0000000000010000"))
    assert not dying_of_a_stop_signal("Name:\tmake\n"), "no masks: nothing to conclude"


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP])
def test_a_real_make_interrupted_alone_is_seen_within_the_patience(tmp_path: Path, sig: signal.Signals) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text("run:\n\tsleep 60\n")
    make = subprocess.Popen(["make", "-s", "-f", str(makefile), "run"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        watch = ParentWatch(make.pid, patience=0.3)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # make has started its child and installed its handlers
            if "sleep" in subprocess.run(["ps", "-o", "comm=", "--ppid", str(make.pid)], capture_output=True,
                                         text=True).stdout:
                break
            time.sleep(0.05)
        for _ in range(5):
            assert not watch.stopping(), "a running make is not stopping"
            time.sleep(0.1)
        make.send_signal(sig)
        time.sleep(0.5)
        assert make.poll() is None, "make waits for its child: the runner must notice on its own"
        deadline = time.monotonic() + 5
        while not watch.stopping():
            assert time.monotonic() < deadline, Path(f"/proc/{make.pid}/status").read_text()
            time.sleep(0.1)
    finally:
        for child in subprocess.run(["ps", "-o", "pid=", "--ppid", str(make.pid)], capture_output=True,
                                    text=True).stdout.split():
            os.kill(int(child), signal.SIGTERM)
        make.wait(10)
