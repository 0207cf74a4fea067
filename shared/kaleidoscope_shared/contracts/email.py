"""An e-mail address field: pydantic's `EmailStr` rules, checked once per distinct address.

An address is validated again at every model it passes through (the request, the domain model, the
event, the response), and `email-validator`'s checks cost more than everything else a model does with
it. The answer for a given string never changes, so valid addresses are remembered (bounded); an
invalid one is checked each time and refused with pydantic's own message. The JSON schema is
EmailStr's: a string of format "email".
"""

from __future__ import annotations

import functools
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email


@functools.lru_cache(maxsize=8192)
def normalised_email(address: str) -> str:
    """The address as EmailStr keeps it; raises pydantic's error if it is not a valid address."""
    return validate_email(address)[1]


Email = Annotated[
    str, AfterValidator(normalised_email), WithJsonSchema({"type": "string", "format": "email"})
]
