"""Shared test data (the seed contest) and a loopback HTTP receiver for the notifications tests.

Named uniquely because the tests folder is put on sys.path (pytest's importlib mode).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.domain import EntryView, Person

CONTEST_TITLE = "Межведомственный конкурс лучших профессиональных практик «Библиотечный калейдоскоп»"
ORGANISERS = (
    "Некоммерческое библиотечное партнёрство «Кузбасские библиотеки»",
    "Кемеровская областная научная библиотека им. В. Д. Фёдорова",
)


def person(name: str, email: str | None, **kwargs: object) -> Person:
    return Person(key=(email or name).lower(), name=name, email=email, **kwargs)  # type: ignore[arg-type]


ZAVODISKER = person(
    "Заводискер Оксана Юрьевна",
    "zavodisker@belovo-lib.example",
    position="ведущий библиотекарь",
    library="Центральная детская библиотека ЦБС г. Белово",
    territory_code="belovo",
)
COAUTHOR = person("Сидорова Анна Викторовна", "sidorova@belovo-lib.example", territory_code="belovo")
MALYSHEVA = person("Малышева Ксения Олеговна", "malysheva@chebula.example", territory_code="chebula")
ORGANISER = person("Иванова Мария Петровна", "org@kuzbass-libraries.example")

BACKPACK = EntryView(
    entry_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    title="Рюкзачок знаний",
    nomination_code="service",
    authors=(ZAVODISKER, COAUTHOR),
    private_link="https://kaleidoscope.example/e/1?t=secret",
)
RED_BOOK = EntryView(
    entry_id=uuid.UUID("00000000-0000-4000-8000-000000000002"),
    title="Красная книга Чебулинского района",
    nomination_code="collection",
    authors=(MALYSHEVA,),
)


SIGNING_KEY = b"test-document-signing-key-32-bytes!!"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Responder = Callable[[Received], tuple[int, bytes, str]]


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)


@contextmanager
def loopback_receiver(respond: Responder) -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            request = Received(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            receiver.requests.append(request)
            status, body, content_type = respond(request)
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
