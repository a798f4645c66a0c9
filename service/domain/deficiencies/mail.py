"""The deficiency notifications' texts: the templates every notifier uses (`service.domain.mail`),
named here for the modules of this package."""

from __future__ import annotations

from service.domain.mail import TEMPLATES, render, render_to

__all__ = ["TEMPLATES", "render", "render_to"]
