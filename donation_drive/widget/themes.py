"""The widget's looks: light, dark or auto (the reader's ``prefers-color-scheme``),
the compact (a 200-300 px sidebar), standard and banner layouts, and an accent
colour for the bar and the donate button.

A drive stores its defaults (``Drive.widget_*``, set on its settings page); an embed
may choose otherwise: ``data-theme``/``data-layout``/``data-accent`` on the script
tag, ``?theme=&layout=&accent=`` on the iframe page and the image. Every value is
checked against a closed list or read as a hex colour and rewritten ``#rrggbb``, so
nothing a URL carries reaches CSS, HTML or SVG but those spellings.

Contrast: an accent is used as given for the bar (a graphic); text in the accent
colour (the raised figure) is darkened, or in dark mode lightened, until it reads at
4.5:1 against the background, and the donate button's text is black or white,
whichever reads better on the accent (always at least 4.5:1). The palettes here are
the ones ``widget.css`` and ``embed.js`` carry (tests/widget/test_themes.py checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..errors import InvalidInput
from ..ledger import Progress
from ..ledger.validation import validate_choice, validate_hex_colour
from ..models import WIDGET_LAYOUTS, WIDGET_THEMES

MIN_TEXT_CONTRAST = 4.5  # WCAG 2 AA for body text


@dataclass(frozen=True, slots=True)
class Theme:
    scheme: str = "light"  # light, dark or auto
    layout: str = "standard"  # compact, standard or banner
    accent: str | None = None  # "#rrggbb"; None: the palette's own green

    @property
    def css_classes(self) -> str:
        """The classes of the widget's box that ``widget.css`` styles by."""
        classes = f"dd-theme-{self.scheme} dd-layout-{self.layout}"
        return classes + (" dd-accent" if self.accent else "")

    @property
    def accent_digits(self) -> str:
        """The accent's six hex digits, for its stylesheet's address."""
        return (self.accent or "")[1:]

    def query(self, default: Theme) -> dict[str, str]:
        """The query parameters that give this look where ``default`` is the drive's."""
        wanted = {"theme": self.scheme, "layout": self.layout, "accent": self.accent or ""}
        given = {"theme": default.scheme, "layout": default.layout, "accent": default.accent or ""}
        return {key: value for key, value in wanted.items() if value != given[key]}


def drive_theme(progress: Progress) -> Theme:
    """The drive's own look, as stored (the ledger checked it when it was saved)."""
    return Theme(progress.widget_theme, progress.widget_layout, progress.widget_accent)


def theme_from_query(args: Mapping[str, str], default: Theme) -> Theme:
    """``default`` with what ``?theme=``, ``?layout=`` and ``?accent=`` ask for; an
    empty or missing parameter keeps the default. Raises ``InvalidInput`` naming the
    parameter (a 400 with a message, through the app's error handler)."""
    theme = default
    if args.get("theme"):
        theme = replace(theme, scheme=validate_choice(args["theme"], WIDGET_THEMES, "theme"))
    if args.get("layout"):
        theme = replace(theme, layout=validate_choice(args["layout"], WIDGET_LAYOUTS, "layout"))
    if args.get("accent"):
        theme = replace(theme, accent=validate_hex_colour(args["accent"], "accent"))
    return theme


def accent_from_digits(digits: str) -> str:
    """The accent of a stylesheet address: exactly six lowercase hex digits (the one
    spelling the pages link), else ``InvalidInput``."""
    if len(digits) != 6 or digits != digits.lower():
        raise InvalidInput("must be six lowercase hex digits", "accent")
    return validate_hex_colour(digits, "accent")


@dataclass(frozen=True, slots=True)
class Palette:
    background: str
    text: str
    muted: str
    border: str
    track: str
    match: str
    accent: str  # the bar
    accent_text: str  # the raised figure
    button: str
    on_button: str
    focus: str


LIGHT = Palette(
    background="#ffffff",
    text="#1f2328",
    muted="#3d444d",
    border="#d0d7de",
    track="#e6e9ec",
    match="#8250df",
    accent="#1a7f37",
    accent_text="#116329",
    button="#1a7f37",
    on_button="#ffffff",
    focus="#0969da",
)
DARK = Palette(
    background="#0d1117",
    text="#e6edf3",
    muted="#9198a1",
    border="#3d444d",
    track="#30363d",
    match="#a371f7",
    accent="#2ea043",
    accent_text="#3fb950",
    button="#238636",
    on_button="#ffffff",
    focus="#58a6ff",
)


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a ``#rrggbb`` colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _mix(colour: str, toward: str, share: float) -> str:
    mixed = (
        round(c + (t - c) * share)
        for c, t in zip(_channels(colour), _channels(toward), strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def readable_on(colour: str, background: str) -> str:
    """``colour``, or the nearest shade of it toward black (on a light background) or
    white (on a dark one) that reads at ``MIN_TEXT_CONTRAST`` against ``background``."""
    toward = "#000000" if luminance(background) > 0.18 else "#ffffff"
    for step in range(21):
        shade = _mix(colour, toward, step / 20)
        if contrast(shade, background) >= MIN_TEXT_CONTRAST:
            return shade
    return toward


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (never below 4.5:1)."""
    return "#000000" if contrast("#000000", colour) > contrast("#ffffff", colour) else "#ffffff"


def palette(theme: Theme, *, dark: bool) -> Palette:
    """The colours of the light or the dark palette with the theme's accent."""
    base = DARK if dark else LIGHT
    if not theme.accent:
        return base
    return replace(
        base,
        accent=theme.accent,
        accent_text=readable_on(theme.accent, base.background),
        button=theme.accent,
        on_button=text_on(theme.accent),
    )


def accent_stylesheet(accent: str) -> str:
    """The stylesheet an accent's widget links (iframe page and script embed alike):
    the accent's custom properties for ``.dd-accent``, light and dark."""
    theme = Theme(accent=accent)
    light, dark = palette(theme, dark=False), palette(theme, dark=True)
    common = (
        f"--dd-accent:{accent};--dd-button:{accent};--dd-on-button:{light.on_button};"
        f"--dd-accent-text:{light.accent_text}"
    )
    dark_text = f"--dd-accent-text:{dark.accent_text}"
    return (
        f".dd-widget.dd-accent{{{common}}}\n"
        f".dd-widget.dd-accent.dd-theme-dark{{{dark_text}}}\n"
        "@media (prefers-color-scheme: dark){"
        f".dd-widget.dd-accent.dd-theme-auto{{{dark_text}}}}}\n"
    )
