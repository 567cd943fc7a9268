"""Print-ready PDFs: the residence-permit card (`render_card_pdf`) and the EMS mailing label
(`render_mail_label_pdf`), both byte-identical for identical inputs."""

from printing.card import render_card_pdf
from printing.label import render_mail_label_pdf

__all__ = ["render_card_pdf", "render_mail_label_pdf"]
