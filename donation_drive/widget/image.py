"""The SVG image's geometry per layout: how wide it is, where each line sits, how
many characters a line may take before it is cut (the full text is in its <desc>)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageLayout:
    width: int
    pad: int
    title_y: int
    title_size: int
    title_chars: int
    figures_y: int
    figures_size: int
    figures_end: bool  # figures right-aligned on the title's line (the banner)
    bar_y: int
    bar_height: int
    meta_y: int
    meta_size: int
    base_height: int
    line_step: int
    line_chars: int

    @property
    def bar_width(self) -> int:
        return self.width - 2 * self.pad

    def height(self, extra_lines: int) -> int:
        return self.base_height + self.line_step * extra_lines

    def line_y(self, index: int) -> int:
        return self.base_height + 8 + self.line_step * index


LAYOUTS = {
    "compact": ImageLayout(
        width=240, pad=12, title_y=22, title_size=13, title_chars=26, figures_y=46,
        figures_size=16, figures_end=False, bar_y=56, bar_height=10, meta_y=82,
        meta_size=11, base_height=92, line_step=15, line_chars=34,
    ),
    "standard": ImageLayout(
        width=320, pad=14, title_y=24, title_size=14, title_chars=36, figures_y=50,
        figures_size=18, figures_end=False, bar_y=60, bar_height=12, meta_y=88,
        meta_size=12, base_height=96, line_step=16, line_chars=45,
    ),
    "banner": ImageLayout(
        width=640, pad=14, title_y=26, title_size=15, title_chars=44, figures_y=26,
        figures_size=16, figures_end=True, bar_y=38, bar_height=12, meta_y=68,
        meta_size=12, base_height=78, line_step=16, line_chars=92,
    ),
}  # fmt: skip


def image_layout(layout: str) -> ImageLayout:
    return LAYOUTS[layout]
