"""Scores and aggregates in the visitor's number format, on the console's pages as on the hall screen."""

from __future__ import annotations

import pytest

from web.entrypoints.rendering import figure
from web.i18n import current_language


@pytest.mark.parametrize(
    ("language", "value", "shown"), [("ru", 8.214, "8,21"), ("en", 8.214, "8.21"), ("ru", 9, "9,00")]
)
def test_a_figure_has_two_decimals_in_the_visitor_s_format(language: str, value: float, shown: str) -> None:
    token = current_language.set(language)
    try:
        assert figure(value) == shown
        assert figure(None) == "—"
    finally:
        current_language.reset(token)
