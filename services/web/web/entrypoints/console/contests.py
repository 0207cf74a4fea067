"""The console's contest pages: create and edit a contest, its overview, publish, move the deadline,
close submissions early.

The contest form works without JavaScript: it shows a few blank rows of nominations, territories and
organisers, an "add more" button that sends the form back with more blank rows (nothing is saved), and
a "remove" box on each row. Blank rows are left out. Each nomination has a Russian and an English title
and description (English visitors read the English ones, where given). Times are typed as a date and a
time in the contest's time zone, which submissions stores with the contest (`time_zone`, an IANA name)
and the form offers as a choice of Russia's zones. Two boxes choose the conflicts of interest judging
applies by itself (the rules' `conflict_rules`: same library, ticked for a new contest; same
territory). The form is checked here first;
what submissions still refuses (its 422 `errors`, the 409 `blocking` nominations or territories that
entries are in) is told beside the field it concerns, in the visitor's language. Editing sends only
what changed, so a published contest gets a new revision only when something did.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...adapters.api import ApiProblem
from ...adapters.session import flash, take_flash
from ...i18n import _, ngettext
from ..dependencies import ServicesDep
from ..forms import FieldErrors, checked_form
from ..rendering import render
from .access import OrganiserDep
from .common import contest_of, contest_zone, known_zone

router = APIRouter()

CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TEXT = 500
MAX_LONG_TEXT = 5000
MAX_REASON = 2000
MAX_ROWS = 200
ADD_ROWS = 3
MAX_SIGNATORIES = 3
MB = 1024 * 1024
GROUPS: dict[str, tuple[str, ...]] = {
    "nominations": ("code", "title", "description", "title_en", "description_en"),
    "territories": ("code", "name", "kind"),
    "organisers": ("name", "email"),
    "signatories": ("name", "position"),
}
TIME_ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)
"""Russia's time zones, west to east: what the form offers (a contest's own zone besides, if another)."""
MEDIA_TYPES = (
    ("application/pdf", "PDF"),
    ("image/png", "PNG"),
    ("image/jpeg", "JPEG"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)"),
    ("application/vnd.oasis.opendocument.text", "OpenDocument (ODT)"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"),
    ("text/plain", "TXT"),
)
DEFAULT_MEDIA_TYPES = frozenset(code for code, _label in MEDIA_TYPES[:5])
CONFLICT_RULES = ("same_library", "same_territory")
"""The conflicts of interest judging finds by itself, as submissions names them in the contest's rules."""
DEFAULT_CONFLICT_RULES = ["same_library"]


# --- labels in the visitor's language ----------------------------------------------------------------


def contest_statuses() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "published": _("Open for entries"),
        "submissions_closed": _("Submissions closed"),
        "results": _("Results announced"),
    }


def territory_kinds() -> dict[str, str]:
    return {"city_district": _("City district"), "municipal_district": _("Municipal district")}


def conflict_rule_names() -> dict[str, str]:
    """Each automatic conflict rule's name, as the form's box and the overview say it."""
    return {"same_library": _("Same library"), "same_territory": _("Same territory")}


def conflict_rule_hints() -> dict[str, str]:
    return {
        "same_library": _(
            "A juror gets no entry by an author of their own library (names are matched ignoring case, "
            "spacing, quotes and common abbreviations)."
        ),
        "same_territory": _("A juror gets no entry by an author from their own territory."),
    }


def known_conflict_rules(values: Any) -> list[str]:
    """The rules among `values` that judging knows, each once, in their usual order."""
    chosen = {str(v) for v in values}
    return [rule for rule in CONFLICT_RULES if rule in chosen]


# --- the contest's time zone -------------------------------------------------------------------------


def zone_places() -> dict[str, str]:
    """Where each of Russia's zones is kept, in the visitor's language."""
    return {
        "Europe/Kaliningrad": _("Kaliningrad"),
        "Europe/Moscow": _("Moscow"),
        "Europe/Samara": _("Samara"),
        "Asia/Yekaterinburg": _("Yekaterinburg"),
        "Asia/Omsk": _("Omsk"),
        "Asia/Novosibirsk": _("Novosibirsk"),
        "Asia/Novokuznetsk": _("Kemerovo, Novokuznetsk"),
        "Asia/Krasnoyarsk": _("Krasnoyarsk"),
        "Asia/Irkutsk": _("Irkutsk"),
        "Asia/Yakutsk": _("Yakutsk"),
        "Asia/Vladivostok": _("Vladivostok"),
        "Asia/Magadan": _("Magadan"),
        "Asia/Kamchatka": _("Petropavlovsk-Kamchatsky"),
    }


def zone_label(name: str, at: datetime | None = None) -> str:
    """The zone as "Kemerovo, Novokuznetsk (UTC+7)": its place in the visitor's language (its IANA
    name for a zone outside Russia) and its offset now."""
    offset = (at or datetime.now(UTC)).astimezone(ZoneInfo(name)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}{f':{rest:02d}' if rest else ''}" if minutes else "UTC"
    return f"{zone_places().get(name, name)} ({utc})"


def zone_choices(current: str) -> list[tuple[str, str]]:
    """The zones to choose from: Russia's, and the contest's own when it is another."""
    names = TIME_ZONES if current in TIME_ZONES or not known_zone(current) else (*TIME_ZONES, current)
    return [(name, zone_label(name)) for name in names]


def parsed_moment(day: str, clock: str, zone: str) -> datetime | None:
    """A date (2026-12-20 or 20.12.2026) and a time (18:00) in `zone`, or None if either is not one."""
    day, clock = day.strip(), clock.strip()
    try:
        when_day = (
            datetime.strptime(day, "%d.%m.%Y").date()
            if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", day)
            else date.fromisoformat(day)
        )
        when_time = time.fromisoformat(clock)
    except ValueError:
        return None
    return datetime.combine(when_day, when_time.replace(tzinfo=None, second=0, microsecond=0), ZoneInfo(zone))


def local_parts(value: Any, zone: str) -> tuple[str, str]:
    """An API moment as the date and time fields show it in `zone`."""
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(ZoneInfo(zone))
    except ValueError:
        return "", ""
    return moment.date().isoformat(), moment.strftime("%H:%M")


def same_moment(a: Any, b: Any) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return bool(a == b)


# --- the contest form --------------------------------------------------------------------------------


def blank_row(group: str) -> dict[str, str]:
    return dict.fromkeys(GROUPS[group], "")


@dataclass
class ContestForm:
    """The contest as the form holds it: every field as typed, and the rows of each list."""

    title: str = ""
    full_title: str = ""
    description: str = ""
    contact: str = ""
    opens_date: str = ""
    opens_time: str = "00:00"
    closes_date: str = ""
    closes_time: str = "23:59"
    time_zone: str = ""
    max_entries: str = "1"
    max_size_mb: str = "20"
    media_types: list[str] = field(default_factory=lambda: sorted(DEFAULT_MEDIA_TYPES))
    consent_required: bool = True
    consent_text: str = ""
    conflict_rules: list[str] = field(default_factory=lambda: list(DEFAULT_CONFLICT_RULES))
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    used: dict[str, list[int]] = field(default_factory=dict)
    """For each list, the form row of each item sent to the API (blank and removed rows are left out)."""

    @classmethod
    def blank(cls, zone: str) -> ContestForm:
        counts = {"nominations": 3, "territories": 4, "organisers": 2, "signatories": MAX_SIGNATORIES}
        return cls(time_zone=zone, rows={g: [blank_row(g) for _ in range(n)] for g, n in counts.items()})

    @classmethod
    def from_contest(cls, contest: dict[str, Any], zone: str) -> ContestForm:
        window = contest.get("window") or {}
        rules = contest.get("rules") or {}
        attachments = rules.get("attachments") or {}
        documents = rules.get("documents") or {}
        opens_date, opens_time = local_parts(window.get("opens_at"), zone)
        closes_date, closes_time = local_parts(window.get("closes_at"), zone)
        size = int(attachments.get("max_size_bytes") or 20 * MB)
        lists = {
            "nominations": contest.get("nominations") or [],
            "territories": contest.get("territories") or [],
            "organisers": contest.get("organisers") or [],
            "signatories": documents.get("signatories") or [],
        }
        rows = {
            group: [{k: str(item.get(k) or "") for k in GROUPS[group]} for item in items]
            for group, items in lists.items()
        }
        for group, extra in (("nominations", 1), ("territories", 1), ("organisers", 1)):
            rows[group] += [blank_row(group) for _ in range(extra)]
        rows["signatories"] += [
            blank_row("signatories") for _ in range(MAX_SIGNATORIES - len(rows["signatories"]))
        ]
        return cls(
            title=str(contest.get("title") or ""),
            full_title=str(documents.get("full_title") or ""),
            description=str(contest.get("description") or ""),
            contact=str(contest.get("contact") or ""),
            opens_date=opens_date,
            opens_time=opens_time,
            closes_date=closes_date,
            closes_time=closes_time,
            time_zone=zone,
            max_entries=str(rules.get("max_entries_per_author_per_nomination") or 1),
            max_size_mb=f"{size / MB:g}",
            media_types=sorted(attachments.get("allowed_media_types") or DEFAULT_MEDIA_TYPES),
            consent_required=bool(rules.get("consent_required", True)),
            consent_text=str(rules.get("consent_text") or ""),
            conflict_rules=known_conflict_rules(rules.get("conflict_rules", DEFAULT_CONFLICT_RULES)),
            rows=rows,
        )

    @classmethod
    def from_form(cls, form: Any, default_zone: str) -> ContestForm:
        def text(name: str) -> str:
            return str(form.get(name) or "").strip()

        rows: dict[str, list[dict[str, str]]] = {}
        for group, fields in GROUPS.items():
            try:
                count = min(MAX_ROWS, max(0, int(text(f"{group}-rows") or 0)))
            except ValueError:
                count = 0
            rows[group] = [
                {k: text(f"{group}-{i}-{k}") for k in fields}
                for i in range(count)
                if not form.get(f"{group}-{i}-remove")
            ]
            if form.get("add") == group and group != "signatories":
                rows[group] += [blank_row(group) for _ in range(ADD_ROWS)]
        zone = text("time_zone")
        return cls(
            title=text("title"),
            full_title=text("full_title"),
            description=text("description"),
            contact=text("contact"),
            opens_date=text("opens_date"),
            opens_time=text("opens_time"),
            closes_date=text("closes_date"),
            closes_time=text("closes_time"),
            time_zone=zone if zone in TIME_ZONES or zone == default_zone else default_zone,
            max_entries=text("max_entries"),
            max_size_mb=text("max_size_mb").replace(",", "."),
            media_types=sorted(str(v) for v in form.getlist("media_types")),
            consent_required=bool(form.get("consent_required")),
            consent_text=str(form.get("consent_text") or "").strip(),
            conflict_rules=known_conflict_rules(form.getlist("conflict_rules")),
            rows=rows,
        )

    def items(self, group: str) -> list[dict[str, str]]:
        """The rows of a list that say something (blank rows are left out), remembering their rows."""
        self.used[group] = [i for i, row in enumerate(self.rows.get(group, [])) if any(row.values())]
        return [self.rows[group][i] for i in self.used[group]]

    def check(self) -> FieldErrors:
        """The common mistakes, told beside their fields before anything is sent."""
        errors = FieldErrors()
        if not self.title:
            errors.add("title", _("Enter the contest's title."))
        elif len(self.title) > MAX_TEXT:
            errors.add("title", _("At most %(n)s characters") % {"n": MAX_TEXT})
        for group, label_field in (("nominations", "title"), ("territories", "name")):
            items = self.items(group)
            if not items:
                errors.add(
                    group,
                    _("Add at least one nomination.")
                    if group == "nominations"
                    else _("Add at least one territory."),
                )
            seen: set[str] = set()
            for row_index, row in zip(self.used[group], items, strict=True):
                prefix = f"{group}-{row_index}-"
                for name, most in (("title_en", MAX_TEXT), ("description_en", MAX_LONG_TEXT)):
                    if len(row.get(name, "")) > most:
                        errors.add(prefix + name, _("At most %(n)s characters") % {"n": most})
                if not CODE.fullmatch(row["code"]) or len(row["code"]) > 64:
                    errors.add(prefix + "code", code_message())
                elif row["code"] in seen:
                    errors.add(prefix + "code", _("Another row has this code: each code must be unique."))
                seen.add(row["code"])
                if not row[label_field]:
                    errors.add(prefix + label_field, _("Fill this in."))
                if group == "territories" and row["kind"] not in territory_kinds():
                    errors.add(prefix + "kind", _("Choose the kind of territory."))
        for group in ("organisers", "signatories"):
            items = self.items(group)
            for row_index, row in zip(self.used[group], items, strict=True):
                if not row["name"]:
                    errors.add(f"{group}-{row_index}-name", _("Enter the name, or clear the row."))
                if group == "organisers" and row["email"] and not EMAIL.fullmatch(row["email"]):
                    errors.add(
                        f"{group}-{row_index}-email", _("Enter an e-mail address like name@library.ru.")
                    )
        opens = parsed_moment(self.opens_date, self.opens_time, self.time_zone)
        closes = parsed_moment(self.closes_date, self.closes_time, self.time_zone)
        if opens is None:
            errors.add("opens_date", moment_message())
        if closes is None:
            errors.add("closes_date", moment_message())
        if opens and closes and closes <= opens:
            errors.add("closes_date", _("Entries must close after they open."))
        if not self.max_entries.isdigit() or int(self.max_entries) < 1:
            errors.add("max_entries", _("Enter a whole number, 1 or more."))
        if self.megabytes() is None:
            errors.add("max_size_mb", _("Enter a size in megabytes greater than 0, e.g. 20."))
        if not self.media_types:
            errors.add("media_types", _("Choose at least one kind of file."))
        if len(self.consent_text) > MAX_LONG_TEXT:
            errors.add("consent_text", _("At most %(n)s characters") % {"n": MAX_LONG_TEXT})
        return errors

    def megabytes(self) -> float | None:
        try:
            size = float(self.max_size_mb)
        except ValueError:
            return None
        return size if 0 < size <= 10_000 else None

    def body(self) -> dict[str, Any]:
        """The contest as POST /contests takes it (after `check` passed)."""
        opens = parsed_moment(self.opens_date, self.opens_time, self.time_zone)
        closes = parsed_moment(self.closes_date, self.closes_time, self.time_zone)
        nominations = [
            {k: r[k] for k in ("code", "title", "description", "title_en", "description_en")}
            for r in self.items("nominations")
        ]
        territories = [
            {"code": r["code"], "name": r["name"], "kind": r["kind"]} for r in self.items("territories")
        ]
        organisers = [
            {"name": r["name"], **({"email": r["email"]} if r["email"] else {})}
            for r in self.items("organisers")
        ]
        signatories = [{"name": r["name"], "position": r["position"]} for r in self.items("signatories")]
        return {
            "title": self.title,
            "description": self.description,
            "contact": self.contact,
            "organisers": organisers,
            "nominations": nominations,
            "territories": territories,
            "window": {
                "opens_at": opens.isoformat() if opens else None,
                "closes_at": closes.isoformat() if closes else None,
            },
            "time_zone": self.time_zone,
            "rules": {
                "max_entries_per_author_per_nomination": int(self.max_entries)
                if self.max_entries.isdigit()
                else 1,
                "attachments": {
                    "allowed_media_types": sorted(self.media_types),
                    "max_size_bytes": round((self.megabytes() or 20) * MB),
                },
                "consent_required": self.consent_required,
                "consent_text": self.consent_text,
                "documents": {"full_title": self.full_title, "signatories": signatories},
                "conflict_rules": list(self.conflict_rules),
            },
        }

    def changes(self, before: ContestForm) -> dict[str, Any]:
        """The fields whose value differs from the contest as it was (PATCH takes only these)."""
        after, was = self.body(), before.body()
        changed = {k: v for k, v in after.items() if k not in ("window", "rules") and v != was[k]}
        window = {k: v for k, v in after["window"].items() if not same_moment(v, was["window"][k])}
        if window:
            changed["window"] = window
        if after["rules"] != was["rules"]:
            changed["rules"] = after["rules"]
        return changed

    def row_field(self, group: str, index: int, name: str) -> str:
        """The form field of the API's `group[index].name` (the API counts only the rows sent)."""
        used = self.used.get(group) or []
        row = used[index] if 0 <= index < len(used) else index
        return f"{group}-{row}-{name}"


def code_message() -> str:
    return _("Use lower-case latin letters, digits and hyphens, e.g. service-guide.")


def moment_message() -> str:
    return _("Enter a date (e.g. 2026-12-20) and a time (e.g. 18:00).")


def field_message(name: str) -> str:
    messages: dict[str, Callable[[], str]] = {
        "code": code_message,
        "title": lambda: _("Fill this in (at most 500 characters)."),
        "name": lambda: _("Fill this in (at most 500 characters)."),
        "email": lambda: _("Enter an e-mail address like name@library.ru."),
        "kind": lambda: _("Choose the kind of territory."),
        "opens_date": moment_message,
        "closes_date": lambda: _("Enter a date and time after the opening of entries."),
        "max_entries": lambda: _("Enter a whole number, 1 or more."),
        "max_size_mb": lambda: _("Enter a size in megabytes greater than 0, e.g. 20."),
        "media_types": lambda: _("Choose at least one kind of file."),
        "title_en": lambda: _("At most %(n)s characters") % {"n": MAX_TEXT},
        "description_en": lambda: _("At most %(n)s characters") % {"n": MAX_LONG_TEXT},
        "consent_text": lambda: _("At most %(n)s characters") % {"n": MAX_LONG_TEXT},
        "time_zone": lambda: _("Choose the contest's time zone."),
        "signatories": lambda: _("At most three people sign the diplomas."),
        "conflict_rules": lambda: _("Choose among the rules listed."),
        "nominations": lambda: _("Add at least one nomination; each code must be unique."),
        "territories": lambda: _("Add at least one territory; each code must be unique."),
    }
    return messages.get(name, lambda: _("Check this field."))()


def api_field(contest_form: ContestForm, location: list[Any]) -> str:
    """The form field of an API error's location (["body", "nominations", 0, "code"] → nominations-0-code)."""
    parts = [p for p in location if p != "body"]
    if not parts:
        return "form"
    if parts[:2] == ["rules", "documents"]:
        parts = ["signatories", *parts[3:]] if parts[2:3] == ["signatories"] else ["full_title"]
    head = str(parts[0])
    if head in GROUPS:
        if len(parts) >= 3 and isinstance(parts[1], int):
            return contest_form.row_field(head, parts[1], str(parts[2]))
        return head
    if head == "window":
        return "opens_date" if parts[1:2] == ["opens_at"] else "closes_date"
    if head == "rules":
        leaf = str(parts[-1])
        if leaf == "max_entries_per_author_per_nomination":
            return "max_entries"
        if "allowed_media_types" in parts:
            return "media_types"
        if leaf == "max_size_bytes":
            return "max_size_mb"
        if leaf == "consent_text":
            return "consent_text"
        if "conflict_rules" in parts:
            return "conflict_rules"
        return "form"
    return head


def refusal_errors(contest_form: ContestForm, problem: ApiProblem) -> FieldErrors:
    """Submissions' refusal of the contest form, beside the fields it concerns."""
    errors = FieldErrors()
    blocking = problem.extra.get("blocking")
    if problem.status == 409 and isinstance(blocking, list) and blocking:
        for group, key, entry_word in (
            (
                "nominations",
                "nomination_code",
                _("Nominations that have entries keep their codes and cannot be removed:"),
            ),
            (
                "territories",
                "territory_code",
                _("Territories that entries come from keep their codes and cannot be removed:"),
            ),
        ):
            named = [
                ngettext("%(code)s (%(num)d entry)", "%(code)s (%(num)d entries)", int(b.get("entries") or 0))
                % {"code": b[key], "num": int(b.get("entries") or 0)}
                for b in blocking
                if isinstance(b, dict) and b.get(key)
            ]
            if named:
                still = _("Their titles and descriptions may still change.")
                errors.add(group, f"{entry_word} {', '.join(named)}. {still}")
        if errors:
            return errors
    for error in problem.errors:
        name = api_field(contest_form, list(error.get("location") or []))
        errors.add(name, field_message(name.split("-")[-1]) if name != "form" else refusal_text(problem))
    if not errors:
        errors.add("form", refusal_text(problem))
    return errors


def refusal_text(problem: ApiProblem) -> str:
    lead = {
        409: _("The contest cannot be changed this way now."),
        422: _("The contest was not accepted."),
    }.get(problem.status, _("The change was refused."))
    return f"{lead} {problem.detail}".strip()


def form_page(
    request: Request,
    organiser: Any,
    contest_form: ContestForm,
    errors: FieldErrors,
    contest: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    title = _("Edit the contest") if contest else _("New contest")
    return render(
        request,
        "console/contest_form.html",
        status_code=status_code,
        title=title,
        organiser=organiser,
        contest=contest,
        section="overview" if contest else None,
        form=contest_form,
        errors=errors,
        time_zones=zone_choices(contest_form.time_zone),
        media_types=known_media_types(contest_form.media_types),
        kinds=list(territory_kinds().items()),
        max_signatories=MAX_SIGNATORIES,
        conflict_rules=[
            (rule, conflict_rule_names()[rule], conflict_rule_hints()[rule]) for rule in CONFLICT_RULES
        ],
    )


def known_media_types(chosen: list[str]) -> list[tuple[str, str]]:
    """The file kinds to tick: the usual ones, and any other the contest already allows."""
    known = dict(MEDIA_TYPES)
    return list(MEDIA_TYPES) + [(m, m) for m in chosen if m not in known]


# --- creating and editing ----------------------------------------------------------------------------


@router.get("/console/contests/new", response_class=HTMLResponse)
async def new_contest(request: Request, organiser: OrganiserDep) -> Response:
    zone = request.app.state.settings.display_time_zone
    return form_page(request, organiser, ContestForm.blank(zone), FieldErrors())


@router.post("/console/contests/new", response_class=HTMLResponse)
async def create_contest(request: Request, organiser: OrganiserDep, services: ServicesDep) -> Response:
    form = await checked_form(request)
    contest_form = ContestForm.from_form(form, request.app.state.settings.display_time_zone)
    if form.get("add"):
        return form_page(request, organiser, contest_form, FieldErrors())
    errors = contest_form.check()
    if not errors:
        try:
            created = await services.submissions.request(
                "POST", "/contests", **organiser.call(), json=contest_form.body()
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = refusal_errors(contest_form, problem)
        else:
            flash(request, "console", _("The contest is saved as a draft. Check it, then publish it."))
            return RedirectResponse(f"/console/contests/{created['id']}", status_code=303)
    return form_page(request, organiser, contest_form, errors, status_code=422)


@router.get("/console/contests/{contest_id}/edit", response_class=HTMLResponse)
async def edit_contest_page(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    zone = contest_zone(request, contest)
    return form_page(request, organiser, ContestForm.from_contest(contest, zone), FieldErrors(), contest)


@router.post("/console/contests/{contest_id}/edit", response_class=HTMLResponse)
async def edit_contest(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    form = await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    zone = contest_zone(request, contest)
    contest_form = ContestForm.from_form(form, zone)
    if form.get("add"):
        return form_page(request, organiser, contest_form, FieldErrors(), contest)
    errors = contest_form.check()
    if not errors:
        changes = contest_form.changes(ContestForm.from_contest(contest, zone))
        if not changes:
            flash(request, "console", _("Nothing was changed."))
            return RedirectResponse(f"/console/contests/{contest_id}", status_code=303)
        try:
            await services.submissions.request(
                "PATCH", f"/contests/{contest_id}", **organiser.call(), json=changes
            )
        except ApiProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = refusal_errors(contest_form, problem)
        else:
            flash(request, "console", _("The contest is saved."))
            return RedirectResponse(f"/console/contests/{contest_id}", status_code=303)
    return form_page(request, organiser, contest_form, errors, contest, status_code=422)


# --- the overview: publish, move the deadline, close early -------------------------------------------


def overview_page(
    request: Request,
    organiser: Any,
    contest: dict[str, Any],
    errors: FieldErrors | None = None,
    deadline: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    zone = contest_zone(request, contest)
    closes_date, closes_time = local_parts((contest.get("window") or {}).get("closes_at"), zone)
    kinds: dict[str, int] = {}
    for territory in contest.get("territories") or []:
        kinds[territory.get("kind", "")] = kinds.get(territory.get("kind", ""), 0) + 1
    return render(
        request,
        "console/contest.html",
        status_code=status_code,
        title=str(contest.get("title") or _("Contest")),
        organiser=organiser,
        contest=contest,
        section="overview",
        zone=zone,
        zone_label=zone_label(zone),
        statuses=contest_statuses(),
        kind_names=territory_kinds(),
        territory_counts=kinds,
        media_names=dict(MEDIA_TYPES),
        conflict_rule_names=conflict_rule_names(),
        errors=errors or FieldErrors(),
        deadline=deadline or {"date": closes_date, "time": closes_time, "reason": ""},
        notice=take_flash(request, "console"),
    )


@router.get("/console/contests/{contest_id}", response_class=HTMLResponse)
async def contest_overview(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    return overview_page(request, organiser, await contest_of(services, organiser, contest_id))


@router.post("/console/contests/{contest_id}/publish", response_class=HTMLResponse)
async def publish_contest(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    await checked_form(request)
    try:
        await services.submissions.request("POST", f"/contests/{contest_id}/publish", **organiser.call())
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        contest = await contest_of(services, organiser, contest_id)
        message = {
            409: _("Only a draft can be published; this contest is published already."),
            422: _("The deadline is already past: move it (edit the contest) before publishing."),
        }[problem.status]
        errors = FieldErrors(publish=message)
        return overview_page(request, organiser, contest, errors, status_code=problem.status)
    flash(request, "console", _("The contest is published: participants can send entries in its window."))
    return RedirectResponse(f"/console/contests/{contest_id}", status_code=303)


@router.post("/console/contests/{contest_id}/deadline", response_class=HTMLResponse)
async def move_deadline(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    form = await checked_form(request)
    contest = await contest_of(services, organiser, contest_id)
    zone = contest_zone(request, contest)
    typed = {k: str(form.get(f"deadline_{k}") or "").strip() for k in ("date", "time", "reason")}
    errors = FieldErrors()
    moment = parsed_moment(typed["date"], typed["time"], zone)
    if moment is None:
        errors.add("deadline_date", moment_message())
    elif moment <= datetime.now(UTC):
        errors.add("deadline_date", _("This moment is already past: choose a later date and time."))
    if not typed["reason"]:
        errors.add(
            "deadline_reason", _("Say why: the participants are told the reason with the new deadline.")
        )
    elif len(typed["reason"]) > MAX_REASON:
        errors.add("deadline_reason", _("At most %(n)s characters") % {"n": MAX_REASON})
    if not errors and moment is not None:
        try:
            await services.submissions.request(
                "POST",
                f"/contests/{contest_id}/deadline",
                **organiser.call(),
                json={"submissions_close_at": moment.isoformat(), "reason": typed["reason"]},
            )
        except ApiProblem as problem:
            if problem.status == 422:
                errors.add(
                    "deadline_date", _("The new deadline must be in the future and after entries open.")
                )
            elif problem.status == 409:
                errors.add("deadline_date", _("The deadline can be moved only while entries are open."))
            else:
                raise
        else:
            flash(
                request,
                "console",
                _("The deadline is moved. The participants are being told the new one and the reason."),
            )
            return RedirectResponse(f"/console/contests/{contest_id}", status_code=303)
    return overview_page(request, organiser, contest, errors, deadline=typed, status_code=422)


@router.get("/console/contests/{contest_id}/close", response_class=HTMLResponse)
async def close_confirmation(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    contest = await contest_of(services, organiser, contest_id)
    zone = contest_zone(request, contest)
    return render(
        request,
        "console/contest_close.html",
        title=_("Close submissions now?"),
        organiser=organiser,
        contest=contest,
        section="overview",
        zone=zone,
        error=None,
    )


@router.post("/console/contests/{contest_id}/close", response_class=HTMLResponse)
async def close_submissions(
    request: Request, contest_id: uuid.UUID, organiser: OrganiserDep, services: ServicesDep
) -> Response:
    form = await checked_form(request)
    if form.get("confirm") != "yes":
        return RedirectResponse(f"/console/contests/{contest_id}/close", status_code=303)
    try:
        closure = await services.submissions.request(
            "POST", f"/contests/{contest_id}/close", **organiser.call()
        )
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        contest = await contest_of(services, organiser, contest_id)
        return render(
            request,
            "console/contest_close.html",
            status_code=409,
            title=_("Close submissions now?"),
            organiser=organiser,
            contest=contest,
            section="overview",
            zone=contest_zone(request, contest),
            error=_("Submissions can be closed only while the contest is open for entries."),
        )
    count = int(closure.get("entry_count") or 0)
    flash(
        request,
        "console",
        ngettext(
            "Submissions are closed: %(num)d entry is in the final list.",
            "Submissions are closed: %(num)d entries are in the final list.",
            count,
        )
        % {"num": count},
    )
    return RedirectResponse(f"/console/contests/{contest_id}", status_code=303)
