"""A contest as its organisers define it: nominations, territories, the submission window and the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kaleidoscope_shared.contracts.email import Email

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
"""A stable latin code: lower-case words joined by hyphens (`service-guide`, `belovo-city`)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Value(BaseModel):
    """Base of the domain's immutable value objects."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TerritoryKind(StrEnum):
    CITY_DISTRICT = "city_district"
    """городской округ"""
    MUNICIPAL_DISTRICT = "municipal_district"
    """муниципальный район (or округ)"""


class Territory(Value):
    code: Code
    name: Text
    kind: TerritoryKind


class Nomination(Value):
    code: Code
    title: Text
    description: str = ""


class Organiser(Value):
    name: Text
    email: Email | None = None


class SubmissionWindow(Value):
    """When entries are accepted: from `opens_at` (inclusive) until `closes_at` (exclusive).

    Both ends must carry a time zone. At exactly `closes_at` the window is closed.
    """

    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @model_validator(mode="after")
    def _closes_after_opening(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError(
                f"the window closes ({self.closes_at.isoformat()}) before it opens "
                f"({self.opens_at.isoformat()}); put closes_at after opens_at"
            )
        return self

    def has_opened(self, now: datetime) -> bool:
        return now.astimezone(UTC) >= self.opens_at.astimezone(UTC)

    def has_closed(self, now: datetime) -> bool:
        return now.astimezone(UTC) >= self.closes_at.astimezone(UTC)

    def is_open(self, now: datetime) -> bool:
        return self.has_opened(now) and not self.has_closed(now)


class AttachmentRules(Value):
    """Which files an entry may carry. Media types are checked against the detected content."""

    allowed_media_types: frozenset[str] = frozenset(
        {
            "application/pdf",
            "image/png",
            "image/jpeg",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.oasis.opendocument.text",
        }
    )
    max_size_bytes: int = Field(default=20 * 1024 * 1024, gt=0)


class ContestRules(Value):
    max_entries_per_author_per_nomination: int = Field(default=1, ge=1)
    attachments: AttachmentRules = AttachmentRules()
    consent_required: bool = True


class ContestStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUBMISSIONS_CLOSED = "submissions_closed"
    RESULTS = "results"


class Contest(Value):
    """A contest and where it is in its life: draft → published → submissions closed → results."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    title: Text
    description: str = ""
    organisers: tuple[Organiser, ...] = ()
    contact: str = ""
    nominations: tuple[Nomination, ...] = Field(min_length=1)
    territories: tuple[Territory, ...] = Field(min_length=1)
    window: SubmissionWindow
    rules: ContestRules = ContestRules()
    status: ContestStatus = ContestStatus.DRAFT
    published_at: AwareDatetime | None = None
    submissions_closed_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _codes_are_unique(self) -> Self:
        for what, codes in (
            ("nomination", [n.code for n in self.nominations]),
            ("territory", [t.code for t in self.territories]),
        ):
            repeated = sorted({c for c in codes if codes.count(c) > 1})
            if repeated:
                raise ValueError(f"{what} codes must be unique; repeated: {', '.join(repeated)}")
        return self

    @property
    def nomination_codes(self) -> frozenset[str]:
        return frozenset(n.code for n in self.nominations)

    @property
    def territory_codes(self) -> frozenset[str]:
        return frozenset(t.code for t in self.territories)

    def nomination(self, code: str) -> Nomination | None:
        return next((n for n in self.nominations if n.code == code), None)

    def territory(self, code: str) -> Territory | None:
        return next((t for t in self.territories if t.code == code), None)
