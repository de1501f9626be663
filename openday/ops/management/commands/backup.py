from django.core.management.base import BaseCommand, CommandError

from openday.ops.backup import VENDOR_NAMES, BackupError, create_backup, human_size


class Command(BaseCommand):
    help = "把数据库、上传文件（可选：密钥）备份为一个 tar.gz 文件，权限 600。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件路径，如 /srv/backup/openday-2026-01-01.tar.gz")
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="同时备份三个密钥（keys/secrets.json）；这样的备份须和密钥一样保密",
        )
        parser.add_argument("--force", action="store_true", help="覆盖已存在的同名文件")

    def handle(self, path, with_keys, force, **options):
        try:
            result = create_backup(path, with_keys=with_keys, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        out = self.stdout.write
        out(self.style.SUCCESS(f"已写入备份：{result.path}"))
        out(f"  大小：{human_size(result.size)}，权限 600")
        vendor = manifest["database"]["vendor"]
        applied = sum(len(names) for names in manifest["migrations"].values())
        out(f"  数据库：{VENDOR_NAMES.get(vendor, vendor)}，已执行的迁移 {applied} 个")
        counts = manifest["counts"]
        out(f"  数据行数（{sum(counts.values())} 行，只列非空的表）：")
        for label, count in counts.items():
            if count:
                out(f"    {label:<40} {count:>8}")
        media = manifest["media"]
        media_size = human_size(sum(entry["size"] for entry in media))
        out(f"  上传文件（文章图片、活动照片、整改佐证等）：{len(media)} 个，共 {media_size}")
        if manifest["media_skipped"]:
            out(
                self.style.WARNING(
                    f"  跳过了 {len(manifest['media_skipped'])} 个链接或特殊文件，"
                    f"如 {manifest['media_skipped'][0]}"
                )
            )
        if manifest["keys_included"]:
            out(
                self.style.WARNING(
                    "  密钥：已包含（keys/secrets.json）。这个备份文件和密钥一样机密："
                    "拿到它的人能读出全部手机号。请限制访问、加密传输和存放。"
                )
            )
        else:
            out(
                self.style.WARNING(
                    "  密钥：未包含。没有密钥，这个备份恢复后手机号无法解密："
                    "请另外妥善保管 secrets.json（或三个 OPENDAY_*_KEY 环境变量的值），恢复时一起用。"
                )
            )
