"""The rules for text, phones and codes where they enter (forms, API schemas, services).

Free text is folded, not fully NFKC-normalized: compatibility letters, digits and spaces
(ＡＢＣ１２３, 𝟏𝟐𝟑, the ideographic space) become ASCII, while the rest of NFKC is not applied
because it would rewrite Chinese text: （，：；！？） to ASCII punctuation, …… to ......, ① to 1.
Then NFC, line breaks as "\\n", and the ends trimmed. Identifiers (phones, ticket, tracking and
invitation codes) are fully NFKC-normalized and every Unicode decimal digit (٣, ३, ３, 𝟑) becomes
its ASCII digit, so one person or one code has one spelling, however it was typed.

Invisible characters, per class:
- line breaks from Word and Excel (\\r\\n, \\r, \\x0b vertical tab = Word's manual line break,
  \\x0c page break, \\x85, U+2028, U+2029) become "\\n"; in a one-line field, a space;
- a tab stays in multi-line text and is a space in a one-line field;
- zero-width space, word joiner, soft hyphen and byte-order mark (pasted from web pages and
  WeChat, never meant) are removed silently;
- every other control character (NUL, \\x01…\\x1f, DEL, C1 controls), bidirectional overrides
  (which can make text read backwards), lone surrogates and non-characters are refused with
  CONTROL_MESSAGE: a person never types them on purpose, and NUL cannot be stored in PostgreSQL.
  Forms show the text with them removed and the message, so resubmitting is one click.
"""

import re
import unicodedata

CONTROL_MESSAGE = "内容含有不可见的控制字符，请删除后重新提交。"
FORM_CONTROL_MESSAGE = (
    "内容含有不可见的控制字符（多为从其他软件复制时带入），已经删除，请检查后重新提交。"
)

_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_REMOVED = dict.fromkeys(map(ord, "\u200b\u2060\u00ad\ufeff"))
# Bidirectional embeddings, overrides and isolates.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CODE_SEPARATORS = re.compile(r"[\s\-_.·]+")
_CODE = re.compile(r"[0-9A-Z]+", re.ASCII)


class InputError(ValueError):
    """Text that is refused; str(exc) is the reason in Chinese."""


def _refused(ch: str) -> bool:
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return True
    code = ord(ch)
    return ch in _BIDI or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


# Decompositions that only change a letter's width or typeface; ① (<circle>), ¹ (<super>) and
# … (<compat>) keep their meaning in Chinese text and are left alone.
_FOLDED_TAGS = ("<wide>", "<narrow>", "<font>")


def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if unicodedata.category(ch) == "Zs":
        return " "
    if unicodedata.decomposition(ch).startswith(_FOLDED_TAGS):
        folded = unicodedata.normalize("NFKC", ch)
        if folded.isascii() and folded.isalnum():
            return folded
    if ch.isdecimal():  # a digit of another script that NFKC leaves alone
        return str(unicodedata.decimal(ch))
    return ch


def ascii_digits(value: str) -> str:
    """Every Unicode decimal digit (٣, ३, ３, 𝟑) as its ASCII digit; other characters unchanged."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in value
    )


def scrub(value: object, *, multiline: bool = True) -> tuple[str, bool]:
    """(the text normalized with refused characters removed, whether any were found)."""
    if value is None:
        return "", False
    value = str(value)
    value = _LINE_BREAKS.sub("\n", value).translate(_REMOVED)
    found = any(_refused(c) for c in value)
    if found:
        value = "".join(c for c in value if not _refused(c))
    if not value.isascii():
        value = unicodedata.normalize("NFC", "".join(map(_fold_char, value)))
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    return value.strip(), found


def clean_text(value: object, *, multiline: bool = True) -> str:
    """The text normalized; raises InputError when it holds refused characters."""
    value, found = scrub(value, multiline=multiline)
    if found:
        raise InputError(CONTROL_MESSAGE)
    return value


def identifier(value: object) -> str:
    """NFKC and ASCII digits, no spaces: the first step for phones and codes."""
    value = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(ascii_digits(value).split())


def clean_code(value: object) -> str:
    """A ticket, tracking or invitation code as stored (ASCII upper-case letters and digits);
    "" when what was typed cannot be a code (so a look-up finds nothing, and a NUL or a
    lookalike never reaches a query)."""
    value = _CODE_SEPARATORS.sub("", identifier(value))
    if not value.isascii():
        return ""
    value = value.upper()
    return value if _CODE.fullmatch(value) else ""
