"""How personal data is shown to viewers who do not need the full value."""


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678; short or empty values are masked whole."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * len(digits)


def mask_name(name: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; Latin names keep their first letter."""
    if not name:
        return ""
    name = name.strip()
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return mask_name(email)
    local, _, domain = email.partition("@")
    return f"{local[0]}***@{domain}"
