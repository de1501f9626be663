from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from openday.ops.backup import (
    MOVED_MODELS,
    VENDOR_NAMES,
    BackupError,
    check_phones,
    restore_backup,
)

# Rows Django writes itself after each migrate: a newer version has more of them.
REGENERATED = {"contenttypes.ContentType", "auth.Permission"}


class Command(BaseCommand):
    help = (
        "从 openday backup 生成的备份文件恢复数据库、上传文件和密钥（目标须为空，除非 --force）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="备份文件路径")
        parser.add_argument(
            "--force",
            action="store_true",
            help="目标已有数据或已有不同的 secrets.json 时仍然恢复（覆盖现有数据）",
        )
        parser.add_argument(
            "--check-keys", action="store_true", help="不恢复，只检查现有的手机号能否用当前密钥解密"
        )

    def handle(self, path, force, check_keys, **options):
        if check_keys:
            phones = check_phones(settings.FIELD_KEY, settings.HASH_KEY)
            self._report_phones(phones)
            return
        if not path:
            raise CommandError("请给出备份文件路径：openday restore PATH")
        try:
            result = restore_backup(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        out = self.stdout.write
        vendor = manifest["database"]["vendor"]
        made = timezone.localtime(parse_datetime(manifest["created_at"]))
        out(
            self.style.SUCCESS(
                f"已从 {path} 恢复（备份于 {made:%Y-%m-%d %H:%M}，{VENDOR_NAMES.get(vendor, vendor)}）。"
            )
        )
        if result.migrations_applied:
            applied = result.migrations_applied
            shown = "、".join(applied[:5]) + ("……" if len(applied) > 5 else "")
            out(f"  数据库迁移：补充执行了 {len(applied)} 个（{shown}）")
        else:
            out("  数据库迁移：与本程序一致，无需补充。")
        out("  数据行数（备份时 → 恢复后，只列非空的表）：")
        differ = 0
        # An older backup counts a model that has moved since under its old label.
        counts = {MOVED_MODELS.get(label, label): n for label, n in manifest["counts"].items()}
        for label in sorted(set(counts) | set(result.counts)):
            before, after = counts.get(label), result.counts.get(label)
            if not (before or after):
                continue
            if before == after:
                mark = ""
            elif label in REGENERATED:
                mark = "  （迁移时自动更新）"
            else:
                mark = "  ≠"
                differ += 1
            shown = ["-" if n is None else str(n) for n in (before, after)]
            out(f"    {label:<40} {shown[0]:>8} → {shown[1]:>8}{mark}")
        if differ:
            out(
                self.style.WARNING(
                    f"  {differ} 个表的行数与备份不同（补充的迁移可能新增了行，请核对标 ≠ 的表）。"
                )
            )
        else:
            out("  所有表的行数与备份一致。")
        out(f"  上传文件：恢复 {result.media_written} 个，sha256 校验无误。")
        if result.media_kept:
            out(f"  目录中原有的 {result.media_kept} 个文件不在备份中，已保留。")
        for note in result.keys_notes:
            out(f"  密钥：{note}")
        self._report_phones(result.phones)
        out("请（重新）启动 openday-web 和 openday-worker，登录网站核对。")

    def _report_phones(self, phones):
        out = self.stdout.write
        if not phones.checked:
            out("  手机号核对：数据库中没有加密保存的手机号，无需核对。")
            return
        out(
            f"  手机号核对：抽查 {phones.checked} 个，{phones.decrypted} 个能用恢复后生效的密钥解密。"
        )
        for name, (ok, total) in phones.per_field.items():
            out(f"    {name:<48} {ok}/{total}")
        if phones.ok:
            if phones.decrypted < phones.checked:
                out(self.style.WARNING("  部分手机号无法解密：可能是更早的密钥写入的，请核对。"))
            return
        if not phones.decrypted:
            problem = "抽查的手机号没有一个能用 FIELD_KEY 解密"
        else:
            problem = "HASH_KEY 与数据不符（按手机号查找将找不到已有记录）"
        raise CommandError(
            f"密钥与数据不匹配：{problem}。数据库和上传文件已经恢复，但这样运行手机号无法读取。"
            f"请把备份时的 secrets.json（单独保管的那份）放到 {settings.VAR_DIR}/secrets.json，"
            "或把环境变量 OPENDAY_SECRET_KEY、OPENDAY_FIELD_KEY、OPENDAY_HASH_KEY 设为备份时的值，"
            "然后运行 openday restore --check-keys 再次核对。"
        )
