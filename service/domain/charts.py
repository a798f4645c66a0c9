"""Self-contained SVG charts (no scripts, no external assets) for pages and PDF reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

SERIES_STYLE = {
    "csat": ("CSAT %", "#1f6feb", (0.0, 100.0)),
    "nps": ("NPS", "#d97706", (-100.0, 100.0)),
    "response_rate": ("Response rate %", "#15803d", (0.0, 100.0)),
    "availability": ("Availability %", "#7c3aed", (0.0, 100.0)),
}


def trend_chart_svg(
    by_month: Sequence[dict[str, Any]],
    *,
    metrics: Sequence[str] = ("csat", "nps"),
    width: int = 640,
    height: int = 220,
    title: str = "Satisfaction, last 12 months",
    scale: tuple[float, float] = (-100.0, 100.0),
    ticks: Sequence[float] = (-100, -50, 0, 50, 100),
    target: float | None = None,
    note: str = "months without answers are left blank",
    labels: dict[str, str] | None = None,
    target_label: str | None = None,
    counts: str | None = None,
) -> str:
    """A line chart of `metrics` over `by_month` rows ({"period", metric: value | None}).

    The vertical scale runs from -100 to 100 so CSAT and NPS share it (`scale` and `ticks`
    change it; `target` draws a dashed line at that value); a month without a figure leaves a
    gap in its line instead of dropping to zero. `title`, `note`, `labels` (the legend's name
    per metric) and `target_label` carry the words, so a report passes them in its language.
    `counts` names the rows' number behind the month's figures (`responses`): shown under each
    month as `n=…`, since a share means little without it.
    """
    left, right, top, bottom = 40, 12, 28, 34 + (10 if counts else 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = scale
    n = max(len(by_month), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="trend-chart">',
        f'<title>{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#ccc"/>',
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" '
                     f'stroke="{"#999" if tick == 0 else "#eee"}"/>')
        parts.append(f'<text x="{left - 4}" y="{ty + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#555">{tick:g}</text>')
    if target is not None and lo <= target <= hi:
        ty = y(target)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" '
                     f'stroke="#b91c1c" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{left + plot_w - 2}" y="{ty - 3:.1f}" font-size="9" '
                     f'text-anchor="end" fill="#b91c1c">'
                     f'{escape(target_label or f"target {target:g}%")}</text>')
    for i, row in enumerate(by_month):
        label = str(row.get("period", ""))[2:].replace("-", "/")
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 12}" font-size="9" '
                     f'text-anchor="middle" fill="#555">{escape(label)}</text>')
        if counts:
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 22}" font-size="8" '
                         f'text-anchor="middle" fill="#777">n={int(row.get(counts) or 0)}</text>')
    legend_x = left
    for metric in metrics:
        name, colour, _range = SERIES_STYLE[metric]
        name = (labels or {}).get(metric, name)
        segments: list[list[tuple[float, float]]] = [[]]
        for i, row in enumerate(by_month):
            value = row.get(metric)
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x(i), y(float(value))))
        for seg in segments:
            if len(seg) > 1:
                points = " ".join(f"{px:.1f},{py:.1f}" for px, py in seg)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                             f'stroke-width="2"/>')
            for px, py in seg:
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>')
        parts.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="17" font-size="10" fill="#222">'
                     f'{escape(name)}</text>')
        legend_x += 14 + _text_width(name) + 16
    parts.append(f'<text x="{left + plot_w}" y="{height - 4}" font-size="9" text-anchor="end" '
                 f'fill="#777">{escape(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _text_width(text: str) -> int:
    """About how wide `text` is at the legend's 10px: a Hangul or CJK glyph is a full em."""
    return sum(10 if ord(ch) >= 0x1100 else 7 for ch in text)
