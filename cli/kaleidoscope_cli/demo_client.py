"""The three services' HTTP APIs as the demo uses them: an organiser's and the jurors' requests.

Only HTTP: the CLI never imports a service. The same client runs against the embedded stack or a
gateway in front of the services (`Endpoints.behind_gateway`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from .words import Language, Phrase, phrase

T = TypeVar("T")


@dataclass(frozen=True)
class Endpoints:
    """Where each service answers, and the organiser's token."""

    submissions: str
    judging: str
    notifications: str
    organiser_token: str

    @classmethod
    def behind_gateway(cls, gateway_url: str, organiser_token: str) -> Endpoints:
        """The services under their prefixes on one gateway (`/submissions`, `/judging`, …)."""
        base = gateway_url.rstrip("/")
        return cls(f"{base}/submissions", f"{base}/judging", f"{base}/notifications", organiser_token)


class DemoError(RuntimeError):
    """The scenario could not go on: what was asked, and what the service answered. Made `said` from a
    phrase, it is told in the CLI's language (`told`); its own text is the English one."""

    def __init__(self, message: str, words: Phrase | None = None) -> None:
        super().__init__(message)
        self.words = words

    @classmethod
    def said(cls, words: Phrase) -> DemoError:
        return cls(words("en"), words)

    def told(self, language: Language) -> str:
        return self.words(language) if self.words else str(self)


class ServiceClient:
    """Thin wrapper over httpx: organiser requests, juror requests, and waiting for the bus."""

    def __init__(self, endpoints: Endpoints, timeout: float = 30.0) -> None:
        self.endpoints = endpoints
        self.http = httpx.Client(timeout=timeout)
        self.organiser = {"Authorization": f"Bearer {endpoints.organiser_token}"}

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, url: str, token: str | None = None, **kwargs: Any) -> Any:
        """One request; its JSON body, or DemoError with the service's problem details."""
        headers = {"Authorization": f"Bearer {token}"} if token else self.organiser
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.is_error:
            raise DemoError.said(
                phrase(
                    "answered",
                    request=f"{method} {url}",
                    status=response.status_code,
                    body=response.text[:500],
                )
            )
        return response.json() if response.content else None

    def submissions(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, f"{self.endpoints.submissions}{path}", **kwargs)

    def judging(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, f"{self.endpoints.judging}{path}", **kwargs)

    def notifications(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, f"{self.endpoints.notifications}{path}", **kwargs)

    def judging_raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"{self.endpoints.judging}{path}", headers=self.organiser, **kwargs)


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll until `check` returns something other than None or False (events take a moment to travel).
    `what` is waited for: a key of the words (words.py), said in DemoError when it does not come."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise DemoError.said(phrase("timed_out", n=round(timeout), what=phrase(what)))
        time.sleep(interval)
