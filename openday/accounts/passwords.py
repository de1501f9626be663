from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Asks for at least three of: lower case, upper case, digits, other characters."""

    def validate(self, password, user=None):
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含小写字母、大写字母、数字、符号中的至少三类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return "密码须包含小写字母、大写字母、数字、符号中的至少三类。"


class MinimumLengthValidator:
    """Django's own, with a Chinese message (its zh_Hans catalogue lacks this one)."""

    def __init__(self, min_length=10):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短，至少需要 {self.min_length} 个字符。", code="password_too_short"
            )

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"


class HistoryValidator:
    """Refuses the last OPENDAY_PASSWORD_HISTORY passwords (MLPS). The one in use now is left
    to accounts.services.change_password and the password form: validating a person's current
    password (as the demo's check does) must pass."""

    def validate(self, password, user=None):
        from .services import password_recently_used, reused_message

        if getattr(user, "pk", None) and password_recently_used(user, password):
            raise ValidationError(reused_message(), code="password_reused")

    def get_help_text(self):
        from django.conf import settings

        return f"不能使用最近 {settings.OPENDAY_PASSWORD_HISTORY} 次用过的密码。"
