"""The OpenAPI document says every answer an operation can give, not only its successful one.

FastAPI documents a route's own answer and a 422 in its own shape; every error this project answers is
a problem document (`problems.py`, `application/problem+json`), and most come from layers FastAPI
does not see. `install_openapi` completes each operation of the app's document, from its routes:

- a path parameter: 404 (nothing is found there; also an address with a parameter no route takes);
- parameters or a body: 422 (FastAPI's validation, `InputHygiene`), with `errors[]` naming each field;
- a JSON body: 400 (bytes that are no text; FastAPI's own answer);
- a body (read by FastAPI or, for an upload, by the route, documented with `openapi_extra`): 413
  (`BodyLimit`);
- a dependency marked `requires_organiser`: 401, 403, 429 (the throttle counts refused tokens), and the
  bearer scheme required in `security`;
- a dependency marked with `answers(...)`: the statuses it names and its `security`;
- every operation but the ones marked `NO_DATABASE` (in `openapi_extra`): 503 with `Retry-After`, the
  shared answer when the database does not answer.

Statuses a route gives by itself (a 409 from its service layer, a 415 of an upload) are declared on
the route with `responses=problems(409, ...)`. The error answers all share the `Problem` schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from .auth import ORGANISER_MARK
from .docs import BEARER_SCHEME
from .problems import PROBLEM_JSON

ANSWERS_MARK = "__kaleidoscope_answers__"
"""The attribute `answers` sets on a dependency: the statuses it may answer and its security."""
NO_DATABASE = "x-kaleidoscope-no-database"
"""`openapi_extra={NO_DATABASE: True}` on a route that never reads the database: no 503 is documented.
The key itself is taken out of the document."""

BEARER_REQUIRED: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
BEARER_OPTIONAL: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}, {}]

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details. A problem may carry more members (`retry_after_s`, "
    "`max_bytes`, `tied_entries`, ...).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem; `about:blank` mostly."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What was wrong and what to do."},
        "instance": {"type": "string", "description": "The path the problem occurred at."},
        "errors": {
            "type": "array",
            "description": "For 422: each field that is not valid.",
            "items": {"$ref": "#/components/schemas/ProblemFieldError"},
        },
    },
    "additionalProperties": True,
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemFieldError",
    "type": "object",
    "required": ["location", "message", "type"],
    "properties": {
        "location": {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "description": "Where: `body`, `query`, `path` or `header`, then the field's names.",
        },
        "message": {"type": "string"},
        "type": {"type": "string", "description": "The kind of error, e.g. `missing`, `string_too_long`."},
    },
}

DESCRIPTIONS = {
    400: "The request body cannot be read: it is not text in UTF-8.",
    401: "No credential, or one that opens nothing: send `Authorization: Bearer <token>`.",
    403: "The credential given is not allowed here.",
    404: "Nothing is found here (a credential that opens nothing is answered the same way).",
    409: "Not possible in the current state of what the request is about.",
    413: "The request body is larger than this route accepts.",
    415: "The body's media type is not one accepted here.",
    422: "The request is not valid; `errors` names each field that is not.",
    429: "Too many: failed authentications from this client (or, for uploads, requests); "
    "wait `Retry-After` seconds.",
    503: "The database does not answer; try again after `Retry-After` seconds.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer`: the scheme to send.", "schema": {"type": "string"}}},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}

Dependency = TypeVar("Dependency", bound=Callable[..., Any])


def answers(
    *statuses: int, security: list[dict[str, list[str]]] | None = None
) -> Callable[[Dependency], Dependency]:
    """Mark a dependency with the error statuses it may answer (and the security its routes take):
    every route that depends on it documents them."""

    def mark(dependency: Dependency) -> Dependency:
        setattr(dependency, ANSWERS_MARK, (tuple(statuses), security))
        return dependency

    return mark


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    """The documented answer `status` as a problem document."""
    response: dict[str, Any] = {
        "description": description or DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }
    if status in HEADERS:
        response["headers"] = dict(HEADERS[status])
    return response


def problems(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """For a route's `responses=`: each status answered with a problem document. `described` gives a
    status its own description, as `_409="..."`."""
    chosen = {int(key.lstrip("_")): text for key, text in described.items()}
    return {status: problem_response(status, chosen.get(status)) for status in (*statuses, *chosen)}


def install_openapi(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document give every operation its error answers (see the module)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        complete(app, schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add to `schema` (the app's document) what `install_openapi` promises. Idempotent."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemFieldError"] = FIELD_ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    _refuse_control_characters(paths, schemas)
    for path, methods, dependant, extra in _routes(app):
        for method in methods:
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, dependant, no_database=bool((extra or {}).get(NO_DATABASE)))


def _routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant, dict[str, Any] | None]]:
    for context in iter_route_contexts(app.router.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None or not getattr(context, "include_in_schema", False):
            continue
        yield context.path_format or "", set(context.methods or ()), dependant, context.openapi_extra


def _complete_operation(operation: dict[str, Any], dependant: Dependant, *, no_database: bool) -> None:
    operation.pop(NO_DATABASE, None)
    every = [dependant, *_walk(dependant)]
    has_path_parameters = any(d.path_params for d in every)
    reads_json = any(d.body_params for d in every)
    has_body = reads_json or "requestBody" in operation
    has_parameters = has_path_parameters or any(
        d.query_params or d.header_params or d.cookie_params for d in every
    )
    statuses: set[int] = set()
    security: list[dict[str, list[str]]] | None = None
    if has_path_parameters:
        statuses.add(404)
    if has_body or has_parameters:
        statuses.add(422)
    if has_body:
        statuses.add(413)
    if reads_json:
        statuses.add(400)  # a body that is not text at all
    for marked in _marked(dependant):
        if getattr(marked, ORGANISER_MARK, False):
            statuses |= {401, 403, 429}
            security = BEARER_REQUIRED
        mark = getattr(marked, ANSWERS_MARK, None)
        if mark is not None:
            statuses |= set(mark[0])
            if mark[1] is not None and security is not BEARER_REQUIRED:
                security = mark[1]
    if not no_database:
        statuses.add(503)
    if security is not None:
        operation.setdefault("security", security)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(str(status), problem_response(status))
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            _as_problem(int(code), response)


def _as_problem(status: int, response: dict[str, Any]) -> None:
    """An error answer documented by FastAPI (its 422) or by a route without content: a problem."""
    content = response.get("content")
    if not content or "application/json" in content:
        documented = problem_response(status, response.get("description"))
        if response.get("description") in (None, "Validation Error", "Successful Response"):
            documented["description"] = problem_response(status)["description"]
        response.clear()
        response.update(documented)
    elif status in HEADERS:
        response.setdefault("headers", dict(HEADERS[status]))


PLAIN_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
"""What `InputHygiene` lets through in a string of a request: no control character but tab and line
breaks (a lone surrogate, not valid Unicode, is refused too)."""
URL_TEXT = "^[^\\x00-\\x1f\\x7f]*$"
"""What `InputHygiene` lets through in a path or a query parameter: no control character at all."""
REQUEST_SUFFIX = "-Request"
_REF = "#/components/schemas/"


def _refuse_control_characters(paths: dict[str, dict[str, Any]], schemas: dict[str, Any]) -> None:
    """Say, in every string a request may carry, what `InputHygiene` refuses. A component that answers
    use too is copied (`<name>-Request`) for the requests, so that answers stay as they are."""
    answered = _reachable(
        [
            r
            for p in paths.values()
            for op in p.values()
            if isinstance(op, dict)
            for r in op.get("responses", {}).values()
        ],
        schemas,
    )
    rewritten: set[str] = set()

    def request_side(node: Any, text: str = PLAIN_TEXT) -> Any:
        if isinstance(node, list):
            return [request_side(item, text) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            name = ref[len(_REF) :]
            target = name if name not in answered or name.endswith(REQUEST_SUFFIX) else name + REQUEST_SUFFIX
            if target not in rewritten:
                rewritten.add(target)
                source = schemas.get(target, schemas.get(name))
                if source is not None:
                    schemas[target] = {}
                    schemas[target] = request_side(source)
            return {**node, "$ref": _REF + target}
        changed = {key: request_side(value, text) for key, value in node.items()}
        # A set (pydantic's `set`, `frozenset`) is made of what it is sent, duplicates and all.
        changed.pop("uniqueItems", None)
        if changed.get("type") == "string" and not {"pattern", "format", "enum", "const"} & changed.keys():
            changed["pattern"] = text
        if changed.get("type") == "object" and changed.get("additionalProperties") not in (None, False):
            changed.setdefault("propertyNames", {"pattern": text})
        return changed

    for path_item in paths.values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = request_side(parameter["schema"], URL_TEXT)
            body = operation.get("requestBody", {})
            for media in body.get("content", {}).values():
                if "schema" in media:
                    media["schema"] = request_side(media["schema"])


def _reachable(roots: list[Any], schemas: dict[str, Any]) -> set[str]:
    """The names of the components `roots` refer to, directly or through others."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF) and ref[len(_REF) :] not in found:
                found.add(ref[len(_REF) :])
                pending.append(schemas.get(ref[len(_REF) :]))
            pending.extend(node.values())
    return found


def _marked(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in _walk(dependant):
        if sub.call is not None:
            yield sub.call


def _walk(dependant: Dependant) -> Iterable[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)
