"""The fault suite (`make chaos`): every scenario adds one row to a table printed at the end of the
session and written to test-output/chaos.md, whether its checks passed or not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import ROWS, render_table, scale

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "chaos.md"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    table = render_table(ROWS)
    terminalreporter.write_sep("=", f"fault suite (CHAOS_SCALE={scale().name})")
    terminalreporter.write_line(table)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Fault suite, CHAOS_SCALE={scale().name}\n\n"
    OUTPUT.write_text(header + table + "\n", encoding="utf-8")
    terminalreporter.write_line(f"written to {os.path.relpath(OUTPUT)}")
