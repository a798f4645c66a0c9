"""The machine's own limit: a bare Flask app answering a small JSON object."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> dict[str, object]:
    """A small JSON object, like a tiny API answer."""
    return {"status": "ok", "items": [1, 2, 3], "name": "bare"}
