"""Form helpers: the CSRF check every state-changing form passes, and field errors for templates."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from ..adapters.session import CSRF_FIELD, csrf_valid


async def checked_form(request: Request) -> Any:
    """The posted form, after checking its CSRF token (403 "the form has expired" otherwise)."""
    form = await request.form()
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        raise HTTPException(403, "CSRF token missing or wrong")
    return form


class FieldErrors(dict[str, str]):
    """Errors by field name, shown beside each field and listed in the summary at the top."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)
