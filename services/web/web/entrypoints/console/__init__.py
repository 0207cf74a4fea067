"""The organiser's console: every page under /console, signed in as an organiser.

`access` signs organisers in and out and gives each page its `Organiser` (the name that the audit log
records and the token every API call carries). Each other module holds one part of the console and its
own router; `router` gathers them.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import access, audit, contests, entries, final, jury, notifications, stages

router = APIRouter()
for part in (access, contests, entries, notifications, stages, jury, final, audit):
    router.include_router(part.router)
