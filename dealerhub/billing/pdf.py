"""The invoice PDF, drawn with fpdf2 (a maintained PDF library): dealer, customer, number,
dates, lines, totals and status."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dealerhub.billing.models import Invoice
from dealerhub.billing.money import day, fmt


def _latin1(text: str | None) -> str:
    # The PDF core fonts are Latin-1: anything else is replaced, never an error.
    return (text or "").encode("latin-1", "replace").decode("latin-1")


def render(invoice: Invoice, dealer_name: str) -> bytes:
    """The invoice as PDF bytes."""
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(f"Invoice {invoice.number or invoice.id}"))
    pdf.set_author(_latin1(dealer_name))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(0, 10, _latin1(dealer_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 11)
    title = f"Invoice {invoice.number}" if invoice.number else "Draft invoice"
    pdf.cell(0, 8, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    rows = [
        ("Status", invoice.status.upper()),
        ("Bill to", invoice.customer_name or ""),
        ("Email", invoice.customer_email or ""),
        ("Date of issue", day(invoice.finalized_at or invoice.created)),
        ("Date due", day(invoice.due_date)),
    ]
    for label, value in rows:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(40, 6, label)
        pdf.set_font("helvetica", "", 10)
        pdf.cell(0, 6, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if invoice.description:
        pdf.ln(2)
        pdf.multi_cell(0, 6, _latin1(invoice.description), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    widths = (100, 20, 35, 35)
    pdf.set_font("helvetica", "B", 10)
    for width, head in zip(widths, ("Description", "Qty", "Unit price", "Amount"), strict=True):
        pdf.cell(width, 7, head, border="B", align="L" if head == "Description" else "R")
    pdf.ln()
    pdf.set_font("helvetica", "", 10)
    for line in invoice.lines:
        cells = (
            _latin1(line.description)[:60],
            str(line.quantity),
            fmt(line.unit_amount, line.currency),
            fmt(line.amount, line.currency),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, text, align="L" if width == widths[0] else "R")
        pdf.ln()
    pdf.ln(3)
    totals = [
        ("Subtotal", invoice.subtotal),
        (f"Tax ({invoice.tax_rate}%)" if invoice.tax_rate else "Tax", invoice.tax),
        ("Total", invoice.total),
        ("Amount paid", invoice.amount_paid),
        ("Amount due", invoice.amount_due - invoice.amount_paid),
    ]
    for label, amount in totals:
        pdf.set_font("helvetica", "B" if label in ("Total", "Amount due") else "", 10)
        pdf.cell(sum(widths[:3]), 6, label, align="R")
        pdf.cell(widths[3], 6, fmt(amount, invoice.currency), align="R")
        pdf.ln()
    if invoice.footer:
        pdf.ln(6)
        pdf.set_font("helvetica", "I", 9)
        pdf.multi_cell(0, 5, _latin1(invoice.footer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
