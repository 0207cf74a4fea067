"""What the running code imports: FastStream only writes docs/asyncapi.json (`make asyncapi`), so no
module of the services, the shared library or the CLI loads it when imported."""

from __future__ import annotations

import subprocess
import sys

PACKAGES = ("kaleidoscope_shared", "submissions", "judging", "notifications", "web", "kaleidoscope_cli")
DOCS_ONLY = ("faststream",)

# Every module of every package, imported in a fresh interpreter (a test process has imported plenty
# already); `__main__` modules would run their command and migrations are Alembic scripts.
PROBE = f"""
import importlib, pkgutil, sys
for root in {PACKAGES!r}:
    for info in pkgutil.walk_packages(importlib.import_module(root).__path__, root + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__" and ".migrations" not in info.name:
            importlib.import_module(info.name)
print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}} & set({DOCS_ONLY!r}))))
"""


def test_no_module_the_services_run_imports_faststream() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], "imported at runtime; import it where the AsyncAPI document is built"


def test_the_asyncapi_document_is_still_built_with_faststream() -> None:
    from kaleidoscope_shared.contracts.asyncapi import build_document

    document = build_document()
    assert document["asyncapi"].startswith("3.") and document["channels"]
    assert "faststream" in sys.modules
