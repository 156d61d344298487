"""Server-rendered SVG charts: readable without JavaScript, every value also in a table beside them.

Only numbers and escaped labels go into the markup (format_html escapes every argument)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tickets.html import escape_fast

WIDTH, HEIGHT, PAD = 640, 200, 12


def line_chart(points: list[tuple[str, float | None]], *, title: str, unit: str = "",
               color: str = "#0a58ca") -> SafeString:
    """A polyline over the buckets with light gridlines; missing values break nothing (they are skipped).

    The axis labels are HTML around the SVG, not SVG text: the SVG scales with its column, and its text
    would shrink below a readable size (12 px) on a phone; HTML text keeps the page's size."""
    values = [value for _label, value in points if value is not None]
    top = max(values, default=0) or 1
    count = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(PAD + index * (WIDTH - 2 * PAD) / count, 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - value * (HEIGHT - 2 * PAD) / top, 1)

    coordinates = " ".join(f"{x(i)},{y(v)}" for i, (_label, v) in enumerate(points) if v is not None)
    # One dot per bucket (105 for two years by week, four charts a page): what format_html_join wrote, without
    # its lazy-argument wrappers per value (bench/RESULTS.md, issue 16, session 18).
    # The coordinates are numbers this function computed (nothing to escape); the rest is escaped.
    color_html, unit_html = escape_fast(color), escape_fast(unit)
    dots = SafeString("".join(
        f'<circle cx="{x(i)}" cy="{y(v)}" r="4" fill="{color_html}"><title>{escape_fast(label)}: {escape_fast(v)}{unit_html}'
        "</title></circle>"
        for i, (label, v) in enumerate(points) if v is not None
    ))
    grid = format_html_join(
        "", '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
        ((PAD, y(top * share), WIDTH - PAD, y(top * share), "#adb5bd" if share == 0 else "#e9ecef")
         for share in (0, 0.5, 1)),
    )
    first = points[0][0] if points else ""
    last = points[-1][0] if points else ""
    summary = _("%(title)s from %(first)s to %(last)s, highest %(top)s%(unit)s") % {
        "title": title, "first": first, "last": last, "top": round(top, 2), "unit": unit}
    return format_html(
        '<figure class="chart-figure mb-0"><figcaption class="chart-title">{title}</figcaption>'
        '<div class="chart-axis chart-axis-y" aria-hidden="true"><span>{top}{unit}</span><span>0</span></div>'
        '<svg viewBox="0 0 {w} {h}" class="chart" role="img" aria-label="{summary}">{grid}'
        '<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{coordinates}"/>{dots}</svg>'
        '<div class="chart-axis chart-axis-x" aria-hidden="true"><span>{first}</span><span>{last}</span></div>'
        '</figure>',
        w=WIDTH, h=HEIGHT, title=title, summary=summary, grid=grid, first=first, last=last,
        top=round(top, 2), unit=unit, color=color, coordinates=coordinates, dots=dots,
    )


def bar_chart(rows: list[tuple[str, float]], *, title: str, color: str = "#198754") -> SafeString:
    """Horizontal bars, one per row."""
    top = max((value for _label, value in rows), default=0) or 1
    height = 22 * len(rows) + 10
    bars = format_html_join(
        "",
        '<text x="0" y="{ty}" font-size="12">{label}</text>'
        '<rect x="150" y="{y}" width="{width}" height="14" fill="{color}"><title>{label}: {value}</title></rect>'
        '<text x="{tx}" y="{ty}" font-size="11" fill="#495057">{value}</text>',
        ((label, 22 * i + 5, round(value * (WIDTH - 220) / top, 1), color, value,
          round(155 + value * (WIDTH - 220) / top, 1), 22 * i + 17) for i, (label, value) in enumerate(rows)),
    )
    return format_html('<svg viewBox="0 0 {} {}" class="chart" role="img" aria-label="{}">{}</svg>',
                       WIDTH, height, title, bars)
