"""A contest as its organisers define it: nominations, territories, the submission window and the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Self
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)

from kaleidoscope_shared.contracts.email import Email

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
"""A stable latin code: lower-case words joined by hyphens (`service-guide`, `belovo-city`)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
"""A title that may be left empty (an English title: the Russian one is shown then)."""

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
"""A paragraph or a few (an English description, the consent text)."""

DEFAULT_TIME_ZONE = "Asia/Novokuznetsk"
"""The contest's time zone unless its organisers (or `SUBMISSIONS_DEFAULT_TIME_ZONE`) choose another:
the Kemerovo region's, where the seed contest is held."""


@cache
def known_time_zones() -> frozenset[str]:
    """The IANA time zone names this machine's time zone database knows."""
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone name ("Asia/Novokuznetsk"), else a ValueError saying so."""
    if name not in known_time_zones():
        raise ValueError(
            f"{name!r} is not a time zone name; give an IANA name such as Asia/Novokuznetsk or Europe/Moscow"
        )
    return name


TimeZoneName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(check_time_zone),
    # the schema names the zones it accepts, so a client (and the contract fuzzer) knows them
    WithJsonSchema({"type": "string", "enum": sorted(available_timezones())}),
]
"""An IANA time zone name, as the zoneinfo database spells it (`Asia/Novokuznetsk`)."""


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
    title_en: OptionalText = ""
    """The title in English, for English-speaking visitors; empty: they read `title`."""
    description_en: LongText = ""
    """The description in English; empty: they read `description`."""


class Organiser(Value):
    name: Text
    email: Email | None = None


class SubmissionWindow(Value):
    """When entries are accepted: from `opens_at` (inclusive) until `closes_at` (exclusive).

    Both ends must carry a time zone. At exactly `closes_at` the window is closed.
    """

    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        """A moment is written as a date and time (ISO 8601): a number would be read as seconds since
        1970, a window nobody meant."""
        if isinstance(value, int | float):
            raise ValueError("give a date and time with its time zone, e.g. 2024-07-01T00:00:00+07:00")
        return value

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

    @field_serializer("allowed_media_types")
    def _in_one_order(self, media_types: frozenset[str]) -> list[str]:
        # A set's order depends on how it was built: sorted, the same rules always read the same.
        return sorted(media_types)


class Signatory(Value):
    """Someone who signs the contest's diplomas and letters, as printed under the signature line."""

    name: Text
    position: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class DocumentSettings(Value):
    """What the contest's diplomas and letters print besides the results: the contest's full name
    (the title when empty) and up to three signatories (no signature lines when none)."""

    full_title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    signatories: tuple[Signatory, ...] = Field(default=(), max_length=3)


class ConflictRule(StrEnum):
    """Which entries a juror is kept from without anyone declaring it (judging finds them)."""

    SAME_LIBRARY = "same_library"
    """the entry's author works at the juror's library (names matched ignoring case, spacing, quotes and
    common abbreviations)"""
    SAME_TERRITORY = "same_territory"
    """the entry's author is from the juror's territory"""


class ContestRules(Value):
    max_entries_per_author_per_nomination: int = Field(default=1, ge=1)
    attachments: AttachmentRules = AttachmentRules()
    consent_required: bool = True
    consent_text: LongText = ""
    """What a participant agrees to by ticking the consent box (e.g. to the processing of the authors'
    personal data, and for what); empty: the web form's own wording."""
    documents: DocumentSettings = DocumentSettings()
    conflict_rules: tuple[ConflictRule, ...] = (ConflictRule.SAME_LIBRARY,)
    """The conflicts of interest judging applies by itself: same library (the default), same territory,
    both or none. Kept in the order above, each once."""

    @field_validator("conflict_rules")
    @classmethod
    def _each_rule_once(cls, rules: tuple[ConflictRule, ...]) -> tuple[ConflictRule, ...]:
        return tuple(rule for rule in ConflictRule if rule in rules)


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
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    """Where the contest is held (an IANA name): the window's dates and times are read and shown in it."""
    status: ContestStatus = ContestStatus.DRAFT
    published_at: AwareDatetime | None = None
    submissions_closed_at: AwareDatetime | None = None
    revision: int = Field(default=1, ge=1)
    """1 as published (ContestAnnounced); each amendment of a published contest adds one (ContestAmended).
    Changes to a draft keep it at 1."""

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
