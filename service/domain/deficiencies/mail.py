"""The deficiency notifications' subject and body, from one place: the text templates in
`service/web/templates/mail/` (a `subject` and a `body` block each). Plain text, rendered
without a request (the daily job sends them too); an unknown name in a template is an error."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates" / "mail"


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,  # noqa: S701  # plain-text mail
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render(name: str, **context: Any) -> dict[str, str]:
    """`{"subject", "body"}` of the message `name` (a file `name.txt`) for `context`."""
    template = _environment().get_template(f"{name}.txt")
    ctx = template.new_context(context)
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx))
    return {"subject": subject[:300], "body": body}
