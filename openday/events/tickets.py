"""The e-ticket's QR code: the ticket code itself, so a scanner or a person can read it."""

import segno


def qr_svg(ticket_code):
    # omitsize keeps the viewBox only, so CSS can scale the code without cropping it.
    # make_qr: a regular QR code; for short text segno.make picks Micro QR, which phone
    # scanners and jsQR cannot read.
    return segno.make_qr(ticket_code, error="m").svg_inline(
        scale=6, dark="#000", light="#fff", omitsize=True
    )
