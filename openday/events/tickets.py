"""QR codes drawn inline: the e-ticket's (the ticket code itself, so a scanner or a person can
read it) and the authenticator app's address at enrolment."""

import segno


def qr_svg(text: str) -> str:
    # omitsize keeps the viewBox only, so CSS can scale the code without cropping it.
    # make_qr: a regular QR code; for short text segno.make picks Micro QR, which phone
    # scanners and jsQR cannot read.
    return segno.make_qr(text, error="m").svg_inline(
        scale=6, dark="#000", light="#fff", omitsize=True
    )
