"""The checked upload every attached file goes through (deficiency reports, service bulletins):
at most 10 MiB, the type read from the content (never from the name or the sender's word)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from werkzeug.utils import secure_filename

from service.domain.errors import Invalid, TooLarge

MAX_BYTES = 10 * 1024 * 1024
# The magic bytes of the accepted types, at the start of the file.
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"))

TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The content type `data` really is among those accepted (PNG, JPEG, GIF, WebP, PDF)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: its safe name, real type, size and digest."""

    filename: str
    content_type: str
    size: int
    sha256: str


def check(*, filename: str, data: bytes) -> CheckedFile:
    """`data` as a file we accept, or a refusal naming the field `file` (413 / 422)."""
    if len(data) > MAX_BYTES:
        raise TooLarge("The file is larger than 10 MiB", {"file": [f"at most {MAX_BYTES} bytes"]})
    kind = sniff(data)
    if kind is None:
        raise Invalid("Only photos (PNG, JPEG, GIF, WebP) and PDF files are accepted",
                      {"file": ["the content is not an image or a PDF"]})
    return CheckedFile(filename=(secure_filename(filename) or "attachment")[:200], content_type=kind,
                       size=len(data), sha256=hashlib.sha256(data).hexdigest())
