"""How a person is addressed in letters."""

from __future__ import annotations

MONTHS_GENITIVE_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_FEMALE_PATRONYMIC_ENDINGS = ("вна", "чна", "кызы")
_MALE_PATRONYMIC_ENDINGS = ("вич", "ич", "оглы")


def russian_date(day: int, month: int, year: int) -> str:
    """28 сентября 2025 г."""
    return f"{day} {MONTHS_GENITIVE_RU[month - 1]} {year} г."


def formal_salutation(full_name: str, language: str) -> str:
    """Russian letters address a person by first name and patronymic, with the adjective's gender read
    from the patronymic («Уважаемая Оксана Юрьевна»), for a name written «Фамилия Имя Отчество».
    Otherwise a neutral greeting that needs no gender."""
    if language != "ru":
        return f"Dear {full_name}"
    parts = full_name.split()
    if len(parts) == 3:
        polite = f"{parts[1]} {parts[2]}"
        if parts[2].endswith(_FEMALE_PATRONYMIC_ENDINGS):
            return f"Уважаемая {polite}"
        if parts[2].endswith(_MALE_PATRONYMIC_ENDINGS):
            return f"Уважаемый {polite}"
    return f"Здравствуйте, {full_name}"
