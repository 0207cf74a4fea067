"""The demo's jury and how it marks: a scenario file in, score sheets out.

A juror's mark for a criterion is the entry's quality as the scenario gives it, plus the juror's
leniency, plus noise drawn from a generator seeded by (scenario seed, stage, juror, entry, criterion),
rounded and clamped to the criterion's scale. The same scenario always gives the same marks; who
advances and who wins is then whatever judging computes from them.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from importlib import resources
from typing import Any

SCENARIO = "library_kaleidoscope.json"


@dataclass(frozen=True)
class Scenario:
    data: dict[str, Any]

    @classmethod
    def load(cls, name: str = SCENARIO) -> Scenario:
        text = resources.files("kaleidoscope_cli.scenarios").joinpath(name).read_text(encoding="utf-8")
        return cls(json.loads(text))

    @property
    def jury(self) -> list[dict[str, Any]]:
        return list(self.data["jury"])

    def stage(self, kind: str) -> dict[str, Any]:
        return next(stage for stage in self.data["stages"] if stage["kind"] == kind)

    def quality(self, kind: str, title: str) -> float:
        given = self.data["quality"][kind].get(title)
        if given is not None:
            return float(given)
        bounds = self.data["default_quality"]
        return _rng(self.data["seed"], "quality", kind, title).uniform(bounds["low"], bounds["high"])

    def marks(self, kind: str, juror: dict[str, Any], title: str) -> dict[str, int]:
        """The juror's marks for one entry in the stage of this kind, per criterion name."""
        base = self.quality(kind, title) + float(juror.get("leniency", 0.0))
        marks = {}
        for criterion in self.stage(kind)["criteria"]:
            noise = _rng(self.data["seed"], kind, juror["full_name"], title, criterion["name"]).gauss(0, 0.7)
            marks[criterion["name"]] = max(criterion["min"], min(criterion["max"], round(base + noise)))
        return marks


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
