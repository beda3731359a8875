"""Charts drawn on the server as inline SVG: no JavaScript and nothing fetched at run time."""

from django.utils.html import format_html
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 960, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
BAR_WIDTH = 420  # the per-model charts sit in half-width panels
TICKS = 4


def nice_max(value, ticks=TICKS):
    """A round axis maximum at or above `value` whose `ticks` gridlines fall on round numbers
    (steps of 1, 2, 2.5 or 5 times a power of ten; never a fraction of one)."""
    if value <= 0:
        return ticks
    magnitude = 1
    while magnitude * 10 <= value / ticks:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude * ticks >= value and (step * magnitude) == int(step * magnitude):
            return step * magnitude * ticks
    return 10 * magnitude * ticks


def _number(value):
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def stacked_bars(*, labels, series, title, unit=""):
    """Vertical bars, one per label, stacking `series`: [(name, css_class, [value per label])].

    Each bar segment carries a <title> so hovering shows the exact figure.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    top = nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bar_w = max(2.0, slot * 0.7)
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">',
            WIDTH,
            HEIGHT,
            title,
        )
    ]
    for i in range(TICKS + 1):
        value = top * i / TICKS
        y = TOP + plot_h - plot_h * i / TICKS
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                LEFT - 6,
                f"{y + 4:.1f}",
                unit,
                _number(value),
            )
        )
    label_every = max(1, len(labels) // 10)
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = TOP + plot_h
        for name, css, values in series:
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}{}</title></rect>",
                    css,
                    f"{x:.1f}",
                    f"{base:.1f}",
                    f"{bar_w:.1f}",
                    f"{h:.1f}",
                    label,
                    name,
                    unit,
                    _number(value),
                )
            )
        if i % label_every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    f"{x + bar_w / 2:.1f}",
                    HEIGHT - 8,
                    label,
                )
            )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def horizontal_bars(*, rows, title, maximum=None, unit="", suffix=""):
    """One labelled horizontal bar per row: [(label, value or None)]. None draws "no data"."""
    row_h, label_w, value_w = 30, 100, 64
    height = row_h * max(1, len(rows)) + 8
    values = [v for _, v in rows if v is not None]
    top = maximum or nice_max(max(values, default=0))
    plot_w = BAR_WIDTH - label_w - value_w
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">',
            BAR_WIDTH,
            height,
            title,
        )
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        parts.append(
            format_html(
                '<text class="label" x="0" y="{}">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="16" rx="4"/>',
                y + 17,
                label,
                label_w,
                y + 5,
                plot_w,
            )
        )
        if value is None:
            text = "no data"
        else:
            text = f"{unit}{_number(value)}{suffix}"
            parts.append(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="16" rx="4">'
                    "<title>{}: {}</title></rect>",
                    label_w,
                    y + 5,
                    f"{max(1.0, plot_w * min(value, top) / top):.1f}",
                    label,
                    text,
                )
            )
        parts.append(
            format_html(
                '<text class="value" x="{}" y="{}">{}</text>', label_w + plot_w + 8, y + 17, text
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))
