"""The e-ticket's QR code: the ticket code itself, so a scanner or a person can read it."""

import segno


def qr_svg(ticket_code):
    return segno.make(ticket_code, error="m").svg_inline(scale=6, dark="#000", light="#fff")
