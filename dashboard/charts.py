"""Server-rendered SVG charts: readable without JavaScript, every value also in a table beside them.

Only numbers and escaped labels go into the markup (format_html escapes every argument)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 640, 180, 28


def line_chart(points: list[tuple[str, float | None]], *, title: str, unit: str = "",
               color: str = "#0d6efd") -> SafeString:
    """A polyline over the buckets; missing values break nothing (they are skipped)."""
    values = [value for _label, value in points if value is not None]
    top = max(values, default=0) or 1
    count = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(PAD + index * (WIDTH - 2 * PAD) / count, 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - value * (HEIGHT - 2 * PAD) / top, 1)

    coordinates = " ".join(f"{x(i)},{y(v)}" for i, (_label, v) in enumerate(points) if v is not None)
    dots = format_html_join(
        "", '<circle cx="{}" cy="{}" r="2.5" fill="{}"><title>{}: {}{}</title></circle>',
        ((x(i), y(v), color, label, v, unit) for i, (label, v) in enumerate(points) if v is not None),
    )
    first = points[0][0] if points else ""
    last = points[-1][0] if points else ""
    return format_html(
        '<svg viewBox="0 0 {w} {h}" class="chart" role="img" aria-label="{title}">'
        '<line x1="{p}" y1="{base}" x2="{right}" y2="{base}" stroke="#adb5bd"/>'
        '<text x="{p}" y="{h_label}" font-size="11" fill="#6c757d">{first}</text>'
        '<text x="{right}" y="{h_label}" font-size="11" fill="#6c757d" text-anchor="end">{last}</text>'
        '<text x="{p}" y="14" font-size="11" fill="#6c757d">{top}{unit}</text>'
        '<polyline fill="none" stroke="{color}" stroke-width="2" points="{coordinates}"/>{dots}</svg>',
        w=WIDTH, h=HEIGHT, title=title, p=PAD, base=HEIGHT - PAD, right=WIDTH - PAD, h_label=HEIGHT - 8,
        first=first, last=last, top=round(top, 2), unit=unit, color=color, coordinates=coordinates, dots=dots,
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
