"""Template filters that know the message's language: dates, money, places, salutations."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context

from ..domain.names import formal_salutation, russian_date
from .document_titles import document_list


def _language(context: Context) -> str:
    return str(context.get("language", "ru"))


def _local(value: date | datetime, context: Context) -> date | datetime:
    zone = context.get("timezone")
    if isinstance(value, datetime) and value.tzinfo is not None and zone:
        return value.astimezone(ZoneInfo(str(zone)))
    return value


@pass_context
def format_date(context: Context, value: date | datetime) -> str:
    """28 сентября 2025 г. / 28 September 2025"""
    value = _local(value, context)
    if _language(context) == "ru":
        return russian_date(value.day, value.month, value.year)
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


@pass_context
def format_datetime(context: Context, value: datetime) -> str:
    """28 сентября 2025 г., 10:00 / 28 September 2025, 10:00"""
    local = _local(value, context)
    assert isinstance(local, datetime)
    return f"{format_date(context, local)}, {local:%H:%M}"


@pass_context
def format_money(context: Context, amount: Decimal | int | float | None, currency: str | None = None) -> str:
    if amount is None:
        return ""
    grouped = f"{Decimal(amount):,.0f}"
    if _language(context) == "ru":
        grouped = grouped.replace(",", "\u00a0")
        symbol = {"RUB": "руб.", None: ""}.get(currency, currency or "")
        return f"{grouped}\u00a0{symbol}".strip()
    return f"{grouped} {currency or ''}".strip()


@pass_context
def format_place(context: Context, place: int) -> str:
    """1-е место / 1st place"""
    if _language(context) == "ru":
        return f"{place}-е место"
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix} place"


@pass_context
def salutation(context: Context, full_name: str) -> str:
    return formal_salutation(full_name, _language(context))


@pass_context
def colleagues_salutation(context: Context, name: str) -> str:
    """An organiser's greeting: the person by name and patronymic when `name` is a person's
    («Уважаемая Мария Петровна»), otherwise the people of the organisation, never the organisation
    itself («Уважаемые коллеги», not «Здравствуйте, Некоммерческое партнёрство…»)."""
    language = _language(context)
    personal = formal_salutation(name, language)
    if language == "ru" and personal.startswith("Уважаем"):
        return personal
    return "Уважаемые коллеги" if language == "ru" else "Dear colleagues"


@pass_context
def documents(context: Context, kinds: list[str]) -> str:
    """The documents a message carries, named in a sentence in the message's language."""
    return document_list(kinds, _language(context))


FILTERS: dict[str, Any] = {
    "colleagues_salutation": colleagues_salutation,
    "documents": documents,
    "date": format_date,
    "datetime": format_datetime,
    "money": format_money,
    "place": format_place,
    "salutation": salutation,
}
