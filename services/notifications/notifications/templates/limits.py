"""Bounds on rendering a template someone may have just typed (a draft in the preview): its output's
length and its time. A template that loops to produce megabytes, or loops for ever producing nothing,
is stopped with `RenderLimitExceeded`, reported like any other template problem.

The sandbox already refuses unsafe attribute access and ranges of more than 100,000 items; on top of
it `BoundedSandbox` refuses operations that build a huge value in one step (`"x" * 10**9`,
`10 ** 10**9`, `"%0999999999d" % 1`, `"x"|center(10**9)`), and `LimitedRender` counts the output as
it is produced and stops template code past its time (a trace function on the rendering thread, over
template frames only).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

from jinja2 import Template
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE_CHARS = 50_000
"""The longest draft template part the preview accepts."""


class RenderLimitExceeded(Exception):
    """A template's output grew past the limit, or its rendering took too long."""


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_output_chars: int = 200_000
    """The longest text one part (subject, text, HTML) may render to."""
    max_seconds: float = 2.0
    """How long one part may take to render."""

    def render(self, template: Template, values: Mapping[str, Any]) -> str:
        """`template` rendered with `values`, or `RenderLimitExceeded`."""
        deadline = time.monotonic() + self.max_seconds
        chunks: list[str] = []
        length = 0
        with _stopped_at(deadline, self.max_seconds):
            for chunk in template.generate(values):
                length += len(chunk)
                if length > self.max_output_chars:
                    raise RenderLimitExceeded(
                        f"the rendered text grew past {self.max_output_chars} characters; a message is "
                        "never that long: look for a loop"
                    )
                chunks.append(chunk)
        return "".join(chunks)


class _stopped_at:
    """Stops template code (frames of `.j2` files) running past `deadline`, on this thread."""

    def __init__(self, deadline: float, seconds: float) -> None:
        self.deadline, self.seconds = deadline, seconds
        self.previous: Any = None

    def __enter__(self) -> None:
        self.previous = sys.gettrace()

        def check(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
            if time.monotonic() > self.deadline:
                raise RenderLimitExceeded(f"rendering took longer than {self.seconds:g} s: look for a loop")
            return check

        def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
            if event == "call" and frame.f_code.co_filename.endswith(".j2"):
                return check(frame, event, arg)
            return None

        sys.settrace(calls)

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self.previous)


_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d+))?")
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap"})


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, refusing any single operation that would build a value longer than `max_chars`."""

    intercepted_binops = frozenset({"*", "**", "%"})
    max_chars = RenderLimits().max_output_chars

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(times, int):
                    self._refuse_past(len(sized) * times, "repeating a text or list")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right * max(abs(left), 2).bit_length() > 4096:
                raise RenderLimitExceeded("a power that large is refused")
        elif operator == "%" and isinstance(left, str):
            for width, precision in _FORMAT_WIDTH.findall(left):
                self._refuse_past(int(width or 0) + int(precision or 0), "a format width")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(__obj, "__self__", None).__class__ is str and __obj.__name__ in _PADDING:
            for value in (*args, *kwargs.values()):
                if isinstance(value, int) and not isinstance(value, bool):
                    __self._refuse_past(value, f"str.{__obj.__name__} to that width")
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str):
            __self._refuse_past(len(result), "a call")
        return result

    def _refuse_past(self, size: int, what: str) -> None:
        if size > self.max_chars:
            raise RenderLimitExceeded(f"{what} would build more than {self.max_chars} characters")


def bounded_filters(
    filters: Mapping[str, Callable[..., Any]], max_chars: int
) -> dict[str, Callable[..., Any]]:
    """`filters` refusing a number argument past `max_chars` (`center(10**9)`, `indent(10**9)`) and a
    text result longer than `max_chars`."""

    def bounded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        value_at = 1 if hasattr(function, "jinja_pass_arg") else 0  # after the context / environment

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in _WIDTH_FILTERS:
                for value in (*args[value_at + 1 :], *kwargs.values()):
                    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > max_chars:
                        raise RenderLimitExceeded(f"the {name} filter's width {value} is too large")
            if name == "format" and len(args) > value_at and isinstance(args[value_at], str):
                for width, precision in _FORMAT_WIDTH.findall(args[value_at]):
                    if int(width or 0) + int(precision or 0) > max_chars:
                        raise RenderLimitExceeded("a format width that large is refused")
            result = function(*args, **kwargs)
            if isinstance(result, str) and len(result) > max_chars:
                raise RenderLimitExceeded(f"the {name} filter built more than {max_chars} characters")
            return result

        for attribute in ("jinja_pass_arg",):  # keep how Jinja passes the context / environment
            if hasattr(function, attribute):
                setattr(call, attribute, getattr(function, attribute))
        return call

    return {name: bounded(name, function) for name, function in filters.items()}
