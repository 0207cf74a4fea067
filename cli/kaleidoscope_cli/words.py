"""Every word the demo and `kaleidoscope status` print, in Russian (the default) and English.

One table, WORDS: each key's text in both languages, filled by `say`. A number's noun agrees with it:
`{n:заявка|заявки|заявок}` in a text is the form for `n` (Russian: one, few, many; English: one,
other), so "1 заявка, 2 заявки, 5 заявок" and "1 entry, 2 entries". Russian quotes are « », English
ones " "; in English the contest's Russian names are transliterated. Every printed line is at most
WIDTH characters: a long title is shortened with "…" (`say_within`), a long line wrapped at spaces
(`fit`; an address longer than that on a line of its own) or, in a table, cut (`clip`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["ru", "en"]
LANGUAGES: tuple[Language, ...] = ("ru", "en")
WIDTH = 100
# How many plural forms each language's `{n:…|…}` gives.
PLURAL_FORMS: dict[Language, int] = {"ru": 3, "en": 2}

WORDS: dict[str, dict[Language, str]] = {
    # The demo's summary (demo_summary.py).
    "summary": {"ru": "Итоги конкурса {title}", "en": "Summary of {title}"},
    "entries": {"ru": "Заявки: {text}", "en": "Entries: {text}"},
    "by_territory": {"ru": "по территориям", "en": "by territory"},
    "finalists": {"ru": "Финалисты ({n}):", "en": "Finalists ({n}):"},
    "score": {"ru": "балл", "en": "score"},
    "winners": {"ru": "Победители:", "en": "Winners:"},
    "place": {"ru": "{n} место", "en": "place {n}"},
    "messages": {"ru": "Сообщения ({n}):", "en": "Messages ({n}):"},
    "by_kind": {"ru": "по видам", "en": "by kind"},
    "documents_all": {"ru": "Письма и дипломы", "en": "Letters and diplomas"},
    "documents_first": {
        "ru": "Письма и дипломы (первые {n} в списке)",
        "en": "Letters and diplomas (the first {n} listed)",
    },
    "pdfs": {"ru": "документов в папке: {n}", "en": "PDF files: {n}"},
    "eml": {
        "ru": "каждое сообщение отдельным файлом, его документы рядом",
        "en": "each message as .eml, its documents beside it",
    },
    "done": {"ru": "Готово за {n} с.", "en": "Done in {n}s."},
    "keep_running_hint": {
        "ru": "(`kaleidoscope demo --keep-running` оставляет всё запущенным, чтобы посмотреть конкурс)",
        "en": "(`kaleidoscope demo --keep-running` keeps it running, to browse the contest)",
    },
    "still_running": {
        "ru": "Kaleidoscope: {url}  (работает; Ctrl-C останавливает всё)",
        "en": "Kaleidoscope: {url}  (still running; Ctrl-C stops everything)",
    },
    "contest_page": {"ru": "конкурс:    {url}", "en": "the contest: {url}"},
    "results_page": {"ru": "итоги:      {url}", "en": "its results: {url}"},
    "hall_page": {"ru": "зал:        {url}", "en": "the hall:    {url}"},
    "private_link": {
        "ru": "личная ссылка участника: {url}",
        "en": "a participant's private link: {url}",
    },
    # The demo as it runs (demo.py, demo_stages.py, demo_notifications.py).
    "published": {
        "ru": "заявки: конкурс {title} опубликован ({id})",
        "en": "submissions: {title} published ({id})",
    },
    "first_private_link": {
        "ru": "заявки: личная ссылка первого участника: {url}",
        "en": "submissions: the first participant's private link: {url}",
    },
    "submitted": {
        "ru": "заявки: подано {n} из {total}",
        "en": "submissions: {n}/{total} entries submitted",
    },
    "closed": {
        "ru": "заявки: приём закрыт, {n} {n:заявка|заявки|заявок}; все они у судейства",
        "en": "submissions: closed with {n} {n:entry|entries}; judging has them all",
    },
    "jury_registered": {
        "ru": "судейство: зарегистрировано жюри из {n} {n:человека|человек|человек}",
        "en": "judging: jury of {n} registered",
    },
    "review_open": {
        "ru": "судейство: этап 1 {name} открыт, жюри оценивает",
        "en": "judging: stage 1 {name} open; the jury scores",
    },
    "sheets_so_far": {
        "ru": "  {name}: всего {n} {n:оценочный лист|оценочных листа|оценочных листов}",
        "en": "  {name}: {n} score {n:sheet|sheets} so far",
    },
    "review_closed": {
        "ru": "судейство: этап 1 закрыт после {sheets} "
        "{sheets:оценочного листа|оценочных листов|оценочных листов} → {n} {n:финалист|финалиста|финалистов}",
        "en": "judging: stage 1 closed after {sheets} score {sheets:sheet|sheets} → {n} {n:finalist|finalists}",
    },
    "final_open": {
        "ru": "судейство: финал {name} открыт, {n} {n:защита|защиты|защит} в порядке выступлений",
        "en": "judging: final {name} open; {n} {n:defence|defences} in running order",
    },
    "tie": {
        "ru": "  равенство: председатель жюри упорядочивает {n} {n:заявку|заявки|заявок} по своим оценкам",
        "en": "  tie: the chair orders {n} tied {n:entry|entries} by her own marks",
    },
    "defended": {
        "ru": "  {title} — защита: {n} {n:член жюри|члена жюри|членов жюри}, средний балл {mean}",
        "en": "  {title} defended: {n} {n:juror|jurors}, mean {mean}",
    },
    "special_mention": {
        "ru": "судейство: специальный приз жюри — {title}",
        "en": "judging: the jury's special mention — {title}",
    },
    "final_closed": {
        "ru": "судейство: финал закрыт → {n} {n:призовое место|призовых места|призовых мест}",
        "en": "judging: final closed → {n} placed",
    },
    "results_published": {
        "ru": "заявки: итоги опубликованы, конкурс завершён",
        "en": "submissions: results published; the contest is finished",
    },
    "notified": {
        "ru": "рассылка: {n} {n:сообщение|сообщения|сообщений}, "
        "{docs} {docs:письмо или диплом|письма и диплома|писем и дипломов}",
        "en": "notifications: {n} {n:message|messages}, {docs} {docs:letter or diploma|letters and diplomas}",
    },
    "sending": {
        "ru": "рассылка: отправлено {sent} из {n} {n:сообщения|сообщений|сообщений}",
        "en": "notifications: {sent}/{n} {n:message|messages} sent",
    },
    # Why the demo stopped (DemoError, main.py).
    "answered": {"ru": "{request} ответил {status}: {body}", "en": "{request} answered {status}: {body}"},
    "close_refused": {
        "ru": "закрытие этапа {name}: ответ {status}: {body}",
        "en": "closing stage {name} answered {status}: {body}",
    },
    "timed_out": {
        "ru": "не дождались за {n} с: {what}",
        "en": "timed out after {n}s waiting for {what}",
    },
    "wait_entries_judged": {
        "ru": "судейство запишет все заявки",
        "en": "judging to record every entry",
    },
    "wait_judging_knows_closed": {
        "ru": "судейство узнает, что приём заявок закрыт",
        "en": "judging to learn that submissions are closed",
    },
    "wait_results": {
        "ru": "приём заявок опубликует итоги",
        "en": "submissions to publish the results",
    },
    "no_progress": {
        "ru": "рассылка не продвинулась за {n} с ({total} {total:сообщение|сообщения|сообщений}, "
        "{flight} ещё в пути)",
        "en": "notifications made no progress for {n}s ({total} {total:delivery|deliveries}, "
        "{flight} in flight)",
    },
    "demo_starting": {
        "ru": "запускаю Redis, три сервиса и веб-интерфейс (журналы в {logs})…",
        "en": "starting Redis, the three services and the web front (logs in {logs})…",
    },
    "demo_stopped": {
        "ru": "демонстрация остановлена: {error} (журналы в {logs})",
        "en": "the demo stopped: {error} (logs in {logs})",
    },
    "demo_stopped_short": {"ru": "демонстрация остановлена: {error}", "en": "the demo stopped: {error}"},
    "demo_interrupted": {
        "ru": "остановлено до конца (Ctrl-C или SIGTERM)",
        "en": "stopped before the end (Ctrl-C or SIGTERM)",
    },
    "exited": {"ru": "{name} завершился с кодом {code}", "en": "{name} exited with code {code}"},
    "not_demo_dir": {
        "ru": "в {dir} лежат файлы, которые записала не демонстрация; выберите другой --data-dir",
        "en": "{dir} holds files the demo did not write; choose another --data-dir",
    },
    "against_starting": {"ru": "конкурс из примера через {url}…", "en": "the seed contest through {url}…"},
    "against_done": {"ru": "готово за {n} с.", "en": "done in {n}s."},
    "check_ok": {"ru": "да  ", "en": "ok  "},
    "check_failed": {"ru": "НЕТ ", "en": "FAIL"},
    "check_finalists": {
        "ru": "по 3 финалиста в каждой из 3 номинаций",
        "en": "3 finalists in each of 3 nominations",
    },
    "check_winners": {
        "ru": "3 победителя, по одному на номинацию, все из финалистов",
        "en": "3 winners, one per nomination, all finalists",
    },
    "check_once": {
        "ru": "каждое сообщение (событие, получатель, канал) отправлено один раз",
        "en": "deliveries, each (event, recipient, channel) once",
    },
    "check_documents": {
        "ru": "благодарственное письмо и диплом каждому автору",
        "en": "a thank-you letter and a diploma per author",
    },
    "check_verify_link": {
        "ru": "в PDF диплома есть ссылка для проверки, и она открывается через шлюз",
        "en": "a diploma's PDF prints a verification link that answers through the gateway",
    },
    "diploma_link": {"ru": "     ссылка из диплома: {url}", "en": "     the diploma's link: {url}"},
    "no_link": {"ru": "(не найдена)", "en": "(none found)"},
    # `kaleidoscope status` (status.py, main.py).
    "status_head": {"ru": "Kaleidoscope {url}  работает {age}", "en": "Kaleidoscope {url}  up {age}"},
    "status_bus": {
        "ru": "шина {url}  пространство имён {namespace}  журналы {logs}",
        "en": "bus {url}  namespace {namespace}  logs {logs}",
    },
    "col_process": {"ru": "ПРОЦЕСС", "en": "PROCESS"},
    "col_pid": {"ru": "PID", "en": "PID"},
    "col_health": {"ru": "СОСТОЯНИЕ", "en": "HEALTH"},
    "col_checked_at": {"ru": "ГДЕ ПРОВЕРЕНО", "en": "CHECKED AT"},
    "col_group": {"ru": "ГРУППА ЧИТАТЕЛЕЙ", "en": "CONSUMER GROUP"},
    "col_streams": {"ru": "ПОТОКИ", "en": "STREAMS"},
    "col_lag": {"ru": "ОТСТАВАНИЕ", "en": "LAG"},
    "col_pending": {"ru": "В РАБОТЕ", "en": "PENDING"},
    "col_dead": {"ru": "НЕДОСТАВЛЕННЫЕ", "en": "DEAD LETTERS"},
    "col_outbox": {"ru": "ИСХОДЯЩИЕ", "en": "OUTBOX"},
    "col_unsent": {"ru": "НЕ ОТПРАВЛЕНО", "en": "UNSENT"},
    "col_oldest": {"ru": "САМОЕ СТАРОЕ", "en": "OLDEST UNSENT"},
    "healthy_process": {"ru": "работает", "en": "ok"},
    "down_process": {"ru": "СБОЙ", "en": "DOWN"},
    "not_running": {"ru": "не запущен", "en": "not running"},
    "answers_status": {"ru": "отвечает {status}", "en": "answers {status}"},
    "does_not_answer": {"ru": "не отвечает ({error})", "en": "does not answer ({error})"},
    "redis_silent": {
        "ru": "Redis на {url} не отвечает ({error})",
        "en": "Redis at {url} does not answer ({error})",
    },
    "redis_error": {"ru": "Redis на {url}: {error}", "en": "Redis at {url}: {error}"},
    "no_groups": {"ru": "групп читателей ещё нет", "en": "no consumer group yet"},
    "ago": {"ru": "{age} назад", "en": "{age} ago"},
    "seconds": {"ru": "{s} с", "en": "{s}s"},
    "minutes": {"ru": "{m} мин {s} с", "en": "{m}m {s}s"},
    "hours": {"ru": "{h} ч {m} мин", "en": "{h}h {m}m"},
    "all_healthy": {"ru": "всё работает", "en": "healthy"},
    "unhealthy": {"ru": "НЕИСПРАВНО: {names}", "en": "UNHEALTHY: {names}"},
    "its_database": {"ru": "база данных {service}", "en": "{service} database"},
    "up_stopped": {
        "ru": "`kaleidoscope up` на {dir} остановил всё в {at}: сам завершился {exited}; журналы: {logs}",
        "en": "`kaleidoscope up` on {dir} stopped everything at {at} after {exited} stopped by itself; "
        "its logs: {logs}",
    },
    "exit_code": {"ru": "{name} (код выхода {code})", "en": "{name} (exit code {code})"},
    "no_up": {
        "ru": "на {dir} не работает `kaleidoscope up` (нет {state}); запустите его: "
        "`kaleidoscope up --data-dir {dir}`",
        "en": "no `kaleidoscope up` runs on {dir} (no {state}); start one with "
        "`kaleidoscope up --data-dir {dir}`",
    },
}

# The summary's names of the services' codes: documents, channels, delivery statuses, message kinds.
DOCUMENT_NAMES: dict[str, dict[Language, str]] = {
    "thank_you_letter": {"ru": "благодарственные письма", "en": "thank-you letters"},
    "participant_diploma": {"ru": "дипломы участника", "en": "participant's diplomas"},
    "finalist_diploma": {"ru": "дипломы финалиста", "en": "finalist's diplomas"},
    "winner_diploma": {"ru": "дипломы победителя", "en": "winner's diplomas"},
    "special_mention_diploma": {"ru": "специальные дипломы жюри", "en": "jury's special diplomas"},
}
CHANNELS: dict[str, dict[Language, str]] = {
    "file": {"ru": "файлы", "en": "file"},
    "email": {"ru": "электронная почта", "en": "e-mail"},
    "console": {"ru": "консоль", "en": "console"},
    "webhook": {"ru": "вебхук", "en": "webhook"},
}
STATUSES: dict[str, dict[Language, str]] = {
    "pending": {"ru": "ждут отправки", "en": "pending"},
    "sending": {"ru": "отправляются", "en": "sending"},
    "sent": {"ru": "отправлено", "en": "sent"},
    "failed": {"ru": "ждут повтора", "en": "failed"},
    "dead": {"ru": "не доставлено", "en": "dead"},
}
KINDS: dict[str, dict[Language, str]] = {
    "entry_received": {"ru": "заявка принята", "en": "entry received"},
    "entry_updated": {"ru": "заявка изменена", "en": "entry updated"},
    "entry_withdrawn": {"ru": "заявка отозвана", "en": "entry withdrawn"},
    "submissions_closed": {"ru": "приём закрыт", "en": "submissions closed"},
    "juror_assigned": {"ru": "назначение в жюри", "en": "juror assigned"},
    "juror_reminder": {"ru": "напоминание жюри", "en": "juror reminder"},
    "final_invitation": {"ru": "приглашение в финал", "en": "final invitation"},
    "non_finalist_thanks": {"ru": "благодарность не вышедшим в финал", "en": "non-finalist thanks"},
    "winner_congratulations": {"ru": "поздравление победителю", "en": "winner congratulations"},
    "contest_finished_participant": {"ru": "итоги участнику", "en": "results to a participant"},
    "contest_finished_organiser": {"ru": "итоги организатору", "en": "results to an organiser"},
    "special_mention": {"ru": "специальный приз жюри", "en": "jury's special mention"},
}
OTHER: dict[Language, str] = {"ru": "другое", "en": "other"}


def plural(language: Language, n: int, forms: list[str] | tuple[str, ...]) -> str:
    """The form of a noun that agrees with `n`. Russian gives three forms (1 заявка, 2 заявки,
    5 заявок: one for 1, 21, 101…; few for 2–4, 22–24…; many for 0, 5–20, 11–14, 25…), English two
    (1 entry, 2 entries)."""
    if language == "en":
        return forms[0] if n == 1 else forms[1]
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


class _Count(int):
    """A whole number in a text: `{n}` as usual, `{n:one|few|many}` the form that agrees with it."""

    language: Language = "ru"

    def __format__(self, spec: str) -> str:
        if "|" in spec:
            return plural(self.language, int(self), spec.split("|"))
        return int.__format__(int(self), spec)


def say(language: Language, key: str, **values: object) -> str:
    """WORDS[key] in `language`, its fields filled (whole numbers in the forms that agree with them)."""
    filled: dict[str, object] = {}
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool):
            count = _Count(value)
            count.language = language
            filled[name] = count
        else:
            filled[name] = value
    return WORDS[key][language].format(**filled)


def say_within(language: Language, key: str, shorten: str, *, width: int = WIDTH, **values: object) -> str:
    """As `say`, with the text of field `shorten` (a title, in its quotes or not) cut short with "…"
    until the line fits."""
    text = str(values[shorten])
    line = say(language, key, **values)
    over = len(line) - width
    if over <= 0:
        return line
    opening, closing = ("«", "»") if text[:1] == "«" else ('"', '"') if text[:1] == '"' else ("", "")
    inner = text[len(opening) : len(text) - len(closing)]
    keep = max(1, len(inner) - over - 1)
    return say(language, key, **{**values, shorten: f"{opening}{inner[:keep].rstrip()}…{closing}"})


def fit(line: str, width: int = WIDTH) -> list[str]:
    """`line` as it is when short enough, else wrapped at spaces, its continuations indented two more
    spaces than it is. A word longer than the width (a URL, a path) is kept whole."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip(" ")))
    return textwrap.wrap(
        line.lstrip(" "),
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def clip(line: str, width: int = WIDTH) -> str:
    """`line`, cut with "…" when longer than `width`."""
    return line if len(line) <= width else line[: width - 1] + "…"


def decimal(language: Language, value: float, digits: int = 2) -> str:
    """A number with `digits` decimals: a decimal comma in Russian, a point in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "ru" else text


# Russian passport transliteration (ICAO Doc 9303, as Russian passports print names).
TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "ie",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "iu",
    "я": "ia",
}


def transliterate(text: str) -> str:
    """Russian text in Latin letters: "Заводискер Оксана" → "Zavodisker Oksana"."""
    out = []
    for char in text:
        latin = TRANSLIT.get(char.lower())
        if latin is None:
            out.append({"«": '"', "»": '"', "№": "No."}.get(char, char))
        elif char.isupper():
            out.append(latin.capitalize())
        else:
            out.append(latin)
    return "".join(out)


def name_in(language: Language, text: str) -> str:
    """One of the contest's names (a person, a library, a stage) as the language writes it."""
    return text if language == "ru" else transliterate(text)


def quoted(language: Language, title: str) -> str:
    """A title in the language's quotes: «…» in Russian, "…" (transliterated) in English."""
    return f"«{title}»" if language == "ru" else f'"{transliterate(title)}"'


@dataclass(frozen=True)
class Phrase:
    """A text to be said later, in whichever language is asked: a key of WORDS and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def __call__(self, language: Language) -> str:
        values = {k: v(language) if isinstance(v, Phrase) else v for k, v in self.values.items()}
        return say(language, self.key, **values)


def phrase(key: str, **values: object) -> Phrase:
    return Phrase(key, values)
