"""A drive's widget: its default look (theme, layout, accent colour), whether it
shows the counting rule line, a live preview of the form's choices, and the
copy-paste snippets (script tag, iframe, image, link) for the saved look. An embed
may still choose another look (``widget/themes.py``: data- attributes, query
parameters); the snippets need none, since the drive's defaults apply."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from ...errors import DonationDriveError
from ...extensions import db
from ...ledger import Progress, drive_progress, get_drive, update_drive
from ...ledger.validation import validate_choice, validate_hex_colour
from ...models import WIDGET_LAYOUTS, WIDGET_THEMES
from ...widget.image import image_layout
from ...widget.themes import Theme, drive_theme
from ..blueprint import bp
from ..forms import FieldErrors, choices

THEMES = (("light", "Light"), ("dark", "Dark"), ("auto", "Auto: the reader's light or dark"))
LAYOUTS = (
    ("standard", "Standard (up to 480 px wide)"),
    ("compact", "Compact (a sidebar, 200-300 px)"),
    ("banner", "Banner (the page's whole width)"),
)
# The iframe snippet per layout: its width, its height with no optional line, and
# what each optional line adds, measured at the layout's narrowest (compact at 200 px,
# standard at 300, banner at 480: tests/widget/test_themes_browser.py checks they fit).
FRAME = {"compact": ("300", 210, 56), "standard": ("100%", 220, 52), "banner": ("100%", 150, 44)}
FRAME_MAX_WIDTH = {"compact": "300px", "standard": "480px", "banner": "100%"}


class WidgetLookForm(FlaskForm):
    theme = SelectField("Theme", choices=choices(THEMES), validate_choice=False)
    layout = SelectField("Layout", choices=choices(LAYOUTS), validate_choice=False)
    accent = StringField(
        "Accent colour",
        render_kw={"placeholder": "#1a7f37", "maxlength": 7, "spellcheck": "false"},
        description="The bar's and the donate button's colour, as #rgb or #rrggbb. "
        "Empty: the widget's own green. Text in it is darkened (or, dark, lightened) "
        "until it is easy to read.",
    )
    counting_line_shown = BooleanField(
        "Show the counting rule line",
        description="What the total includes: the money recorded by hand (checks, gift "
        "cards, ...), how a match counts, and when the figures last changed.",
    )
    # The ledger's field names for its errors, mapped onto these inputs.
    domain_fields = {"theme": "theme", "layout": "layout", "accent": "accent"}


@dataclass(frozen=True, slots=True)
class WidgetSnippets:
    script: str
    iframe: str
    image: str
    link: str


def _optional_lines(progress: Progress) -> int:
    """How many of the optional lines the drive's widget may show."""
    return sum(
        (
            progress.stretch_goal_amount is not None,
            progress.match_cap_amount is not None,
            progress.counting_line_shown,
        )
    ) + (len(progress.recent) + 1 if progress.recent else 0)


def widget_snippets(progress: Progress, base_url: str) -> WidgetSnippets:
    """The embeds of the drive's saved look (plain text: the page escapes them)."""
    base, slug = base_url.rstrip("/"), progress.slug
    lines = _optional_lines(progress)
    width, height, per_line = FRAME[progress.widget_layout]
    frame_height = height + per_line * lines
    image = image_layout(progress.widget_layout)
    shown = lines - (len(progress.recent) + 1 if progress.recent else 0)  # not in images
    return WidgetSnippets(
        script=f'<script src="{base}/widget/embed.js" data-drive="{slug}" async></script>',
        iframe=(
            f'<iframe src="{base}/widget/{slug}" title="Donation drive progress"\n'
            f'        width="{width}" height="{frame_height}" '
            f'style="border:0;max-width:{FRAME_MAX_WIDTH[progress.widget_layout]}"></iframe>'
        ),
        image=(
            f'<a href="{base}/donate/{slug}">\n'
            f'  <img src="{base}/widget/{slug}.svg" width="{image.width}" '
            f'height="{image.height(shown)}"\n'
            f'       alt="Donation drive progress">\n'
            f"</a>"
        ),
        link=f"{base}/widget/{slug}",
    )


def _read_form(form: WidgetLookForm, errors: FieldErrors) -> dict[str, object]:
    """The form's values, each checked (so every wrong field shows its error)."""
    accent = (form.accent.data or "").strip()
    return {
        "widget_theme": errors.check(validate_choice, form.theme.data, WIDGET_THEMES, "theme"),
        "widget_layout": errors.check(validate_choice, form.layout.data, WIDGET_LAYOUTS, "layout"),
        "widget_accent": errors.check(validate_hex_colour, accent) if accent else None,
        "counting_line_shown": bool(form.counting_line_shown.data),
    }


@bp.route("/drives/<slug>/widget", methods=["GET", "POST"])
def drive_widget(slug: str):
    drive = get_drive(slug)
    form = WidgetLookForm()
    status = 200
    if not form.is_submitted():
        form.process(
            data={
                "theme": drive.widget_theme,
                "layout": drive.widget_layout,
                "accent": drive.widget_accent or "",
                "counting_line_shown": drive.counting_line_shown,
            }
        )
    elif form.validate():
        errors = FieldErrors(form)
        changes = _read_form(form, errors)
        if not errors:
            try:
                update_drive(drive, **changes)
            except DonationDriveError as exc:
                db.session.rollback()
                errors.add(exc)
            else:
                flash(f"Saved the widget of {drive.title}.", "success")
                return redirect(url_for("admin.drive_widget", slug=slug))
        status = 400
    else:
        status = 400
    progress = drive_progress(slug)
    saved: Theme = drive_theme(progress)
    return render_template(
        "admin/drive_widget.html",
        drive=get_drive(slug),
        form=form,
        saved=saved,
        frame=FRAME,
        snippets=widget_snippets(progress, current_app.config["PUBLIC_BASE_URL"]),
    ), status
