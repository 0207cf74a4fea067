"""A stalled demo names the processes that died and the last lines of their logs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kaleidoscope_cli.processes import ProcessGroup, ProcessSpec
from kaleidoscope_cli.stack import Stack


def test_an_exited_process_is_named_with_its_code_and_last_log_lines(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    stack.group = ProcessGroup(tmp_path / "logs")
    crash = "import sys; print('first'); print('OSError: [Errno 98] Address already in use'); sys.exit(3)"
    stack.group.start(ProcessSpec("notifications-worker", [sys.executable, "-c", crash], {}))
    stack.group.start(
        ProcessSpec("judging-worker", [sys.executable, "-c", "import time; time.sleep(30)"], {})
    )
    try:
        deadline = time.monotonic() + 10
        while "Address already" not in stack.exited_report() and time.monotonic() < deadline:
            time.sleep(0.05)
        report = stack.exited_report(lines=1)
    finally:
        stack.group.stop()
    assert report == "\nnotifications-worker exited with code 3\n  OSError: [Errno 98] Address already in use"


def test_nothing_is_reported_while_every_process_runs(tmp_path: Path) -> None:
    stack = Stack(tmp_path)
    stack.group = ProcessGroup(tmp_path / "logs")
    stack.group.start(ProcessSpec("web", [sys.executable, "-c", "import time; time.sleep(30)"], {}))
    try:
        assert stack.exited_report() == ""
    finally:
        stack.group.stop()
