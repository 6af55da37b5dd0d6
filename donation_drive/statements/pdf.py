"""A statement as a PDF: the Jinja template ``statements/statement.txt`` (which an
organisation can override under ``<instance>/templates/``) renders a few kinds of
lines, and ReportLab lays them out. The same statement always makes the same bytes
(ReportLab's invariant mode), so a PDF can be made again to compare."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from babel.dates import format_date
from flask import current_app, render_template

from ..formatting import format_money
from .content import Statement

TEMPLATE = "statements/statement.txt"
DEFAULT_WIDTHS = (1.05, 1.05, 0.8, 1.7, 0.8, 0.8, 0.8)  # inches: 7 across a Letter page
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
_fonts: tuple[str, str] | None = None


def _font_names() -> tuple[str, str]:
    """DejaVu Sans where the machine has it (names in any script), else Helvetica."""
    global _fonts
    if _fonts is None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        _fonts = ("Helvetica", "Helvetica-Bold")
        for folder in _FONT_DIRS:
            regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
            if regular.exists() and bold.exists():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
                _fonts = ("DejaVuSans", "DejaVuSans-Bold")
                break
    return _fonts


def _method_label(method: str) -> str:
    from ..emails.receipts import method_label

    return method_label(method)


def statement_context(statement: Statement, *, issued: datetime) -> dict[str, object]:
    config = current_app.config
    locale = config.get("DEFAULT_LOCALE") or "en_US"

    def money(amount: int, currency: str) -> str:
        return format_money(amount, currency, locale)

    address = (config.get("ORG_ADDRESS") or "").replace("\\n", "\n")
    return {
        "org_name": config.get("ORG_NAME") or "",
        "org_address_lines": [line.strip() for line in address.splitlines() if line.strip()],
        "tax_statement": config.get("ORG_TAX_STATEMENT") or "",
        "period_title": statement.period.title,
        "period_label": statement.period.label,
        "issued": format_date(issued.date(), format="long", locale=locale),
        "donor_name": statement.name or "Friend",
        "donor_email": statement.email,
        "donor_address_lines": [
            line.strip() for line in (statement.address or "").splitlines() if line.strip()
        ],
        "lines": [
            {
                "date": format_date(line.received_at.date(), format="medium", locale=locale),
                "receipt_number": line.receipt_number,
                "method": _method_label(line.method),
                "drive": line.drive_title,
                "amount": money(line.amount, line.currency),
                "refunded": money(line.refunded, line.currency) if line.refunded else "",
                "net": money(line.net, line.currency),
            }
            for line in statement.lines
        ],
        "totals": [money(amount, currency) for currency, amount in statement.totals.items()],
    }


def render_statement_pdf(statement: Statement, *, issued: datetime) -> bytes:
    """The statement's PDF. Raises whatever Jinja raises for a broken override."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    text = render_template(TEMPLATE, **statement_context(statement, issued=issued))
    regular, bold = _font_names()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13, spaceAfter=2)
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=18, leading=22)
    heading = ParagraphStyle(
        "heading", parent=body, fontName=bold, fontSize=13, leading=17, spaceBefore=10
    )
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0)
    cell_bold = ParagraphStyle("cell_bold", parent=cell, fontName=bold)

    story: list = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        data = [
            [Paragraph(escape(c), cell_bold if i == 0 else cell) for c in row]
            for i, row in enumerate(rows)
        ]
        # The default template's seven columns get widths that keep the drive readable.
        widths = [w * inch for w in DEFAULT_WIDTHS] if len(rows[0]) == len(DEFAULT_WIDTHS) else None
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        rows.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        flush_table()
        if not line:
            story.append(Spacer(1, 6))
        elif line.startswith("## "):
            story.append(Paragraph(escape(line[3:]), heading))
        elif line.startswith("# "):
            story.append(Paragraph(escape(line[2:]), title))
        elif line.startswith("**") and line.endswith("**") and len(line) > 4:
            story.append(Paragraph(escape(line[2:-2]), strong))
        else:
            story.append(Paragraph(escape(line), body))
    flush_table()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.75 * inch,
        title=f"Giving statement {statement.period.label}",
        author=str(current_app.config.get("ORG_NAME") or ""),
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()
