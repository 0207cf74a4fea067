"""Every repository path a README names in backticks exists, so a moved or renamed file cannot leave its
README pointing at nothing.

A backticked word is taken for a path when it has a slash or ends in a file extension, and is not a URL,
a route, a media type, a command or a `module.attribute`. It is looked up from the README's own folder and
from each folder above it up to the repository root (a service's README says `domain/ranking.py`, the
root README `services/judging/...`), from the package it starts with (`kaleidoscope_shared/secrets.py`),
and anywhere under the README's folder (`bus/consumer.py`, a bare `mime.py`). `channels/mime.message_id_for`
names a module's attribute and `domain/links` a module: both need the `.py`. `<placeholder>` and `*` parts
match any one name, but something must match. Paths under `data/` and `test-output/` are written at run
time and are not looked for.
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = sorted(
    path
    for pattern in ("README.md", "*/README.md", "*/*/README.md", "*/*/*/README.md", "*/*/*/*/README.md")
    for path in ROOT.glob(pattern)
    if not {".venv", ".tools", "node_modules", "build", "data", "test-output"}
    & set(path.relative_to(ROOT).parts)
)
BACKTICKED = re.compile(r"`([^`\n]+)`")
EXTENSIONS = (
    ".py", ".md", ".toml", ".yml", ".yaml", ".json", ".txt", ".html", ".css", ".js", ".po", ".pot",
    ".mo", ".cfg", ".ini", ".sh", ".lock", ".sql", ".pdf", ".png", ".svg", ".ttf", ".j2", ".conf",
)  # fmt: skip
PACKAGES = {
    "kaleidoscope_shared": "shared/kaleidoscope_shared",
    "kaleidoscope_cli": "cli/kaleidoscope_cli",
    **{name: f"services/{name}/{name}" for name in ("submissions", "judging", "notifications", "web")},
}
WRITTEN_AT_RUN_TIME = ("data/", "data_dir/", "test-output/", ".venv/")
TIME_ZONES = zoneinfo.available_timezones()
MEDIA_TYPES = ("application/", "text/", "image/", "multipart/", "audio/", "video/", "font/", "message/")
# Backticked words that look like paths but name something else (an example, a path inside a container
# or on the host, a file a command writes). Keep short: a README path that is wrong is fixed, not listed.
NOT_REPOSITORY_PATHS = frozenset(
    {
        "prometheus.io/scrape",  # pod annotations (deploy/README.md)
        "prometheus.io/port",
        "prometheus.io/path",
        "<url>/v1/traces",  # the OTLP endpoint under a configured URL (shared/README.md)
        "defence/end",  # the chair's action on the hall screen (services/web/web/README.md)
        "Asia/Kemerovo",  # a zone name the time zone database does not know (submissions' README)
    }
)


def named_paths(text: str) -> list[str]:
    found = []
    for span in BACKTICKED.findall(text):
        candidate = span.strip().split("::")[0].rstrip(",.;")
        if not candidate or any(c in candidate for c in " \t:={}()$@|?!'\"\\,"):
            continue  # a command, a URL, a route with parameters, code
        if candidate.startswith(("/", "-", "~", "http", *MEDIA_TYPES, *WRITTEN_AT_RUN_TIME)):
            continue  # a route, an option, a path outside the repository, a media type, an output
        if candidate in TIME_ZONES or (candidate.startswith(".") and "/" not in candidate):
            continue  # `Asia/Novokuznetsk`, an extension such as `.mo`
        if "/" not in candidate and not candidate.endswith(EXTENSIONS):
            continue
        if "/" not in candidate and candidate.count(".") > 1:
            continue  # a dotted name such as `kaleidoscope_shared.contracts.py`, not a file of ours
        found.append(candidate)
    return found


def spellings(named: str) -> list[str]:
    """The glob patterns `named` may stand for: `<placeholder>` as `*`; a module (`domain/links`) or a
    module's attribute (`channels/mime.message_id_for`) as its `.py` file."""
    pattern = re.sub(r"<[^>]+>", "*", named).rstrip("/")
    head, _, last = pattern.rpartition("/")
    stem, dot, _ = last.partition(".")
    if not dot:
        return [pattern, f"{pattern}.py"]
    if not last.endswith(EXTENSIONS) and head:
        return [f"{head}/{stem}.py"]
    return [pattern]


def exists(readme: Path, named: str) -> bool:
    for pattern in spellings(named):
        first, _, rest = pattern.partition("/")
        places = [readme.parent, *readme.parent.parents]
        places = places[: places.index(ROOT) + 1]
        if first in PACKAGES and rest and next((ROOT / PACKAGES[first]).glob(rest), None) is not None:
            return True
        if any(next(folder.glob(pattern), None) is not None for folder in places):
            return True
        if readme.parent != ROOT and next(readme.parent.rglob(pattern), None) is not None:
            return True
    return False


@pytest.mark.parametrize("readme", READMES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_path_a_readme_names_exists(readme: Path) -> None:
    named = [p for p in named_paths(readme.read_text(encoding="utf-8")) if p not in NOT_REPOSITORY_PATHS]
    missing = sorted({p for p in named if not exists(readme, p)})
    assert not missing, f"{readme.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_check_finds_paths_and_leaves_other_words_alone(tmp_path: Path) -> None:
    text = (
        "`services/judging/Dockerfile` `domain/ranking.py` `mime.py` `services/<service>/Dockerfile` "
        "`make test` `application/pdf` `/contests/{id}` `redis://127.0.0.1:6379/0` `judging.domain` "
        "`tests/shared/test_contracts.py::test_event_schema_only_grows`"
    )
    assert named_paths(text) == [
        "services/judging/Dockerfile",
        "domain/ranking.py",
        "mime.py",
        "services/<service>/Dockerfile",
        "tests/shared/test_contracts.py",
    ]
    readme = ROOT / "services" / "judging" / "judging" / "README.md"
    assert exists(readme, "services/<service>/Dockerfile")
    assert exists(readme, "domain/ranking.py")
    assert not exists(readme, "domain/no_such_module.py")
    assert not exists(readme, "services/<service>/no-such-file")
