"""The container test (`make containers-test`): left out of `make test`, which runs no container engine.

Collected only with KALEIDOSCOPE_CONTAINERS_TEST=1 (the make target sets it): it builds images and runs
the whole compose stack for several minutes.
"""

from __future__ import annotations

import os

if os.environ.get("KALEIDOSCOPE_CONTAINERS_TEST") != "1":
    collect_ignore_glob = ["test_*.py"]
