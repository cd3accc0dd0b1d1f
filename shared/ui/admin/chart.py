"""The admin statistics chart: a PNG drawn with Pillow (matplotlib is too heavy to import in a function).

Grouped bars per Moscow day (successful vs failed generations, left axis) and a revenue line (₽, right
axis), with a title, axis labels and a legend. No days or all zeros: a valid image saying "no data".
"""
from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from shared.domain.pricing import format_rub
from shared.domain.stats import DayStats, PeriodStats
from shared.ui.admin.stats import period_label
from shared.ui.texts import t

WIDTH, HEIGHT = 1000, 560
FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 80, WIDTH - 120, 100, HEIGHT - 80

WHITE, BLACK, GREY, GRID = (255, 255, 255), (33, 33, 33), (110, 110, 110), (228, 228, 228)
GREEN, RED, BLUE = (67, 160, 71), (229, 57, 53), (30, 100, 200)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans (Cyrillic) when installed, else Pillow's default font."""
    try:
        return ImageFont.truetype(FONT_DIR + ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"), size)
    except OSError:
        try:
            return ImageFont.load_default(size=size)
        except TypeError:  # very old Pillow
            return ImageFont.load_default()


def nice_ticks(lo: int, hi: int, count: int = 5, min_step: int = 1) -> list[int]:
    """Round tick values (1, 2, 5 × 10ⁿ steps, at least `min_step`) covering [lo, hi]; always includes 0
    when the range does."""
    if hi <= lo:
        hi = lo + min_step * count
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(min_step, math.ceil(step))
    first, last = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return list(range(first, last + step, step))


def _text_size(draw: ImageDraw.ImageDraw, text: str, f: Font) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    return right - left, bottom - top


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, f: Font, fill=BLACK,
          anchor: str = "la") -> None:
    draw.text(xy, text, font=f, fill=fill, anchor=anchor if isinstance(f, ImageFont.FreeTypeFont) else None)


def _vertical_text(img: Image.Image, center: tuple[int, int], text: str, f: Font, fill=BLACK,
                   angle: int = 90) -> None:
    probe = ImageDraw.Draw(img)
    left, top, right, bottom = probe.textbbox((0, 0), text, font=f)
    label = Image.new("RGBA", (right - left + 4, bottom - top + 4), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((2 - left, 2 - top), text, font=f, fill=fill)
    label = label.rotate(angle, expand=True)
    img.paste(label, (center[0] - label.width // 2, center[1] - label.height // 2), label)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


class Scale:
    """Values to pixel rows of the plot, over round ticks."""

    def __init__(self, ticks: list[int]):
        self.ticks = ticks

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return PLOT_BOTTOM - (value - low) / (high - low) * (PLOT_BOTTOM - PLOT_TOP)


def render_chart(stats: PeriodStats, lang: str = "ru") -> bytes:
    """The chart as PNG bytes (1000×560)."""
    img = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(img)
    title = t(lang, "chart_title", period=period_label(stats.start, stats.end))
    title_font = font(22, bold=True)
    tw, _ = _text_size(draw, title, title_font)
    _text(draw, ((WIDTH - tw) / 2, 18), title, title_font)
    days = stats.days
    if not days or not any(d.success or d.failed or d.revenue_kopecks for d in days):
        f = font(28)
        w, h = _text_size(draw, t(lang, "chart_no_data"), f)
        _text(draw, ((WIDTH - w) / 2, (HEIGHT - h) / 2), t(lang, "chart_no_data"), f, fill=GREY)
        return _png(img)
    _legend(draw, lang)
    counts = Scale(nice_ticks(0, max(max(d.success, d.failed) for d in days)))
    revenue = [d.revenue_kopecks for d in days]
    money = Scale(nice_ticks(min(0, min(revenue)), max(0, max(revenue)), min_step=100))
    _ticks(draw, counts, money)
    _days(draw, days, counts, money)
    _axes(img, draw, lang)
    return _png(img)


def _legend(draw: ImageDraw.ImageDraw, lang: str) -> None:
    """Centred under the title."""
    label_font = font(14)
    items = [(t(lang, "chart_success"), GREEN, "box"), (t(lang, "chart_failed"), RED, "box"),
             (t(lang, "chart_revenue"), BLUE, "line")]
    widths = [24 + _text_size(draw, name, label_font)[0] for name, _, _ in items]
    x, y = (WIDTH - sum(widths) - 30 * (len(items) - 1)) / 2, 60
    for (name, colour, kind), w in zip(items, widths):
        if kind == "box":
            draw.rectangle((x, y + 2, x + 14, y + 16), fill=colour)
        else:
            draw.line((x - 2, y + 9, x + 16, y + 9), fill=colour, width=3)
            draw.ellipse((x + 3, y + 5, x + 11, y + 13), fill=colour)
        _text(draw, (x + 22, y), name, label_font)
        x += w + 30


def _ticks(draw: ImageDraw.ImageDraw, counts: Scale, money: Scale) -> None:
    """Generations on the left (with grid lines), revenue in whole roubles on the right."""
    small = font(13)
    for v in counts.ticks:
        yy = counts.y(v)
        draw.line((PLOT_LEFT, yy, PLOT_RIGHT, yy), fill=GRID, width=1)
        w, h = _text_size(draw, str(v), small)
        _text(draw, (PLOT_LEFT - 8 - w, yy - h / 2 - 2), str(v), small, fill=GREY)
    for v in money.ticks:
        yy = money.y(v)
        draw.line((PLOT_RIGHT, yy, PLOT_RIGHT + 5, yy), fill=BLUE, width=1)
        label = format_rub(v, "ru").removesuffix(" ₽")  # whole roubles (steps are ≥ 1 ₽); the axis says ₽
        _, h = _text_size(draw, label, small)
        _text(draw, (PLOT_RIGHT + 8, yy - h / 2 - 2), label, small, fill=BLUE)
    if money.ticks[0] < 0:  # where revenue is zero
        draw.line((PLOT_LEFT, money.y(0), PLOT_RIGHT, money.y(0)), fill=(180, 200, 235), width=1)


def _days(draw: ImageDraw.ImageDraw, days: list[DayStats], counts: Scale, money: Scale) -> None:
    """Per day the two bars and a point of the revenue line; every few days a date."""
    small, n = font(13), len(days)
    group = (PLOT_RIGHT - PLOT_LEFT) / n
    bar = max(1.0, group * 0.36)
    label_every = max(1, math.ceil(n / max(1, (PLOT_RIGHT - PLOT_LEFT) // 56)))
    points = []
    for i, d in enumerate(days):
        cx = PLOT_LEFT + group * (i + 0.5)
        for value, colour, x0 in ((d.success, GREEN, cx - bar), (d.failed, RED, cx)):
            if value:
                draw.rectangle((x0, counts.y(value), x0 + bar - (1 if bar > 3 else 0), PLOT_BOTTOM), fill=colour)
        points.append((cx, money.y(d.revenue_kopecks)))
        if i % label_every == 0:
            text = d.day.strftime("%d.%m")
            w, _ = _text_size(draw, text, small)
            _text(draw, (cx - w / 2, PLOT_BOTTOM + 8), text, small, fill=GREY)
    if len(points) > 1:
        draw.line(points, fill=BLUE, width=3, joint="curve")
    radius = 4 if n <= 62 or len(points) == 1 else 0
    for px, py in points if radius else ():
        draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=BLUE)


def _axes(img: Image.Image, draw: ImageDraw.ImageDraw, lang: str) -> None:
    label_font = font(14)
    draw.line((PLOT_LEFT, PLOT_TOP, PLOT_LEFT, PLOT_BOTTOM), fill=BLACK, width=1)
    draw.line((PLOT_RIGHT, PLOT_TOP, PLOT_RIGHT, PLOT_BOTTOM), fill=BLUE, width=1)
    draw.line((PLOT_LEFT, PLOT_BOTTOM, PLOT_RIGHT, PLOT_BOTTOM), fill=BLACK, width=1)
    w, _ = _text_size(draw, t(lang, "chart_date"), label_font)
    _text(draw, ((PLOT_LEFT + PLOT_RIGHT - w) / 2, HEIGHT - 36), t(lang, "chart_date"), label_font)
    _vertical_text(img, (24, (PLOT_TOP + PLOT_BOTTOM) // 2), t(lang, "chart_gens"), label_font)
    _vertical_text(img, (WIDTH - 16, (PLOT_TOP + PLOT_BOTTOM) // 2), t(lang, "chart_revenue"), label_font, fill=BLUE,
                   angle=270)
