"""Every HTTP router of the submissions service."""

from __future__ import annotations

from . import contests, entries, reports

ROUTERS = [contests.router, entries.router, reports.router]
