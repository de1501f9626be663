"""One archive per install: a consistent database copy, the uploads and, on request, the keys.

The database is copied while the site runs (SQLite's online backup API, pg_dump on a snapshot
shared with the row counts). A restore checks everything it can before it changes anything
(safe member names, vendor, migrations, checksums, an empty target, the keys), and ends by
decrypting stored phone numbers with the keys that will be in effect: a restore whose keys do
not match the data must not look like a success.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.test.utils import override_settings

from openday.lib import personal_data

FORMAT = "openday-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys/secrets.json"
DB_FILES = {"sqlite": "database/openday.sqlite3", "postgresql": "database/openday.pgdump"}
TOP_LEVEL = {"manifest.json", "database", "media", "keys"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# Rows that are not the install's data: operational records, and rows migrations insert
# themselves (workdays/0002 seeds the official holidays with source="seed").
OPERATIONAL_APPS = {"ops"}
OPERATIONAL_MODELS = {"accounts.LoginThrottle"}
MIGRATION_ROWS = {"workdays.SpecialDay": {"source": "seed"}}
# Models that moved to another app since a backup may have been made: the label an older
# manifest counts them under, and today's (summaries took them over from publicity in 2026-12;
# the tables kept their names, so the rows come back as they were).
MOVED_MODELS = {
    "publicity.EventPhoto": "summaries.EventPhoto",
    "publicity.EventSummary": "summaries.EventSummary",
}
# Phones checked per encrypted field after a restore: the first and the last rows by id.
PHONE_SAMPLE = 20


class BackupError(Exception):
    """A refusal or failure, with a message for the operator."""


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict


@dataclass
class PhoneCheck:
    checked: int = 0
    decrypted: int = 0
    hashes_checked: int = 0
    hashes_matched: int = 0
    per_field: dict = field(default_factory=dict)  # "events.Registration.phone_encrypted": (ok, n)

    @property
    def ok(self) -> bool:
        if self.checked and not self.decrypted:
            return False
        return not (self.hashes_checked and not self.hashes_matched)


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict
    migrations_applied: list
    media_written: int
    media_kept: int
    keys_notes: list
    phones: PhoneCheck


# --- backup ---------------------------------------------------------------------------------


def create_backup(path, *, with_keys=False, force=False) -> BackupResult:
    """Write the archive at `path` (mode 600 from its first byte, renamed into place)."""
    path = Path(path).absolute()
    if path.exists() and not force:
        raise BackupError(f"{path} 已存在。要覆盖它请加 --force，或换一个文件名。")
    if not path.parent.is_dir():
        raise BackupError(f"目录不存在：{path.parent}")
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise BackupError(f"不支持备份这种数据库：{vendor}")
    # Next to the archive, not in /tmp: the copy is as large as the database, and mkdtemp
    # makes the folder private (700) since the copy holds personal data.
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        db_file = work / "database"
        if vendor == "sqlite":
            migrations, counts = _dump_sqlite(db_file)
        else:
            migrations, counts = _dump_postgresql(db_file)
        media, skipped = _scan_media()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "openday_version": _version(),
            "database": {
                "vendor": vendor,
                "file": DB_FILES[vendor],
                "size": db_file.stat().st_size,
                "sha256": _sha256(db_file),
            },
            "migrations": migrations,
            "counts": counts,
            "media": media,
            "media_skipped": skipped,
            "keys_included": bool(with_keys),
        }
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask took away or left
        with os.fdopen(fd, "wb") as raw:
            _write_archive(raw, manifest, db_file, with_keys)
            raw.flush()
            os.fsync(raw.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails rather than overwrite a file made meanwhile
            except FileExistsError:
                raise BackupError(f"{path} 已存在。要覆盖它请加 --force。") from None
            tmp.unlink()
        return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


def _dump_sqlite(target: Path):
    name = Path(connection.settings_dict["NAME"])
    if not name.exists():
        raise BackupError(f"数据库文件不存在：{name}")
    source = sqlite3.connect(name, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # One self-contained file: the copy needs no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master")}
        migrations = _read_migrations(cursor, tables)
        counts = _count_rows(cursor, tables, '"{}"')
    finally:
        copy.close()
        source.close()
    return migrations, counts


def _dump_postgresql(target: Path):
    db = connection.settings_dict
    # One snapshot for pg_dump and the counts, so the manifest describes exactly the dump.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run_pg(["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(target), "-d", db["NAME"]])
        tables = set(connection.introspection.table_names(cursor))
        migrations = _read_migrations(cursor, tables)
        counts = _count_rows(cursor, tables, connection.ops.quote_name("{}"))
    return migrations, counts


def _read_migrations(cursor, tables) -> dict:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _count_rows(cursor, tables, quoted: str) -> dict:
    counts = {}
    for model in _models():
        table = model._meta.db_table
        if table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quoted.format(table)}")  # noqa: S608 - table names from the models
            counts[model._meta.label] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


def _models():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _scan_media():
    root = Path(settings.MEDIA_ROOT)
    files, skipped = [], []
    if not root.is_dir():
        return files, skipped
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = Path(folder) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink() or not full.is_file():
                skipped.append(rel)
                continue
            files.append({"path": rel, "size": full.stat().st_size, "sha256": _sha256(full)})
    return files, skipped


def _write_archive(raw, manifest, db_file: Path, with_keys: bool):
    # gzip level 6: uploads are mostly images, already compressed; 9 costs time for nothing.
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            with db_file.open("rb") as f:
                _add_stream(tar, manifest["database"]["file"], f, db_file.stat().st_size)
            root = Path(settings.MEDIA_ROOT)
            for entry in manifest["media"]:
                full = root / entry["path"]
                try:
                    f = full.open("rb")
                except FileNotFoundError:
                    raise BackupError(
                        f"上传文件在备份过程中被删除：{entry['path']}，请重新备份。"
                    ) from None
                with f:
                    hashing = _HashingReader(f)
                    # The file's own mode, so the web server can still read a restored upload.
                    mode = os.fstat(f.fileno()).st_mode & 0o755
                    _add_stream(tar, f"media/{entry['path']}", hashing, entry["size"], mode)
                if hashing.sha256.hexdigest() != entry["sha256"]:
                    raise BackupError(f"上传文件在备份过程中被修改：{entry['path']}，请重新备份。")
            if with_keys:
                keys = {name: getattr(settings, name) for name in settings.SECRET_NAMES}
                _add_bytes(tar, KEYS, json.dumps(keys, indent=2).encode())


class _HashingReader:
    def __init__(self, f):
        self.f = f
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.f.read(size)
        self.sha256.update(data)
        return data


def _add_bytes(tar, name, data: bytes):
    _add_stream(tar, name, io.BytesIO(data), len(data))


def _add_stream(tar, name, f, size, mode=0o600):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = int(time.time())
    try:
        tar.addfile(info, f)
    except OSError as exc:  # tarfile: "unexpected end of data" when a file shrank
        raise BackupError(f"读取 {name} 时出错（{exc}），请重新备份。") from exc


# --- restore --------------------------------------------------------------------------------


def restore_backup(path, *, force=False) -> RestoreResult:
    """Restore the archive at `path` into this install's database, media folder and keys."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".restore-", dir=var_dir))
    try:
        manifest = _extract(path, work)
        # The archive first (whole, ours, this vendor, not newer), then the target.
        _check_manifest(manifest)
        _verify_files(manifest, work)
        if not force:
            _check_target_is_empty()
        keys_plan = _plan_keys(manifest, work, force)

        db_file = work / manifest["database"]["file"]
        if connection.vendor == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgresql(db_file)
        restored = _applied_migrations()
        try:
            call_command("migrate", interactive=False, verbosity=0)
        except Exception as exc:
            raise BackupError(
                f"数据库已恢复，但补充数据库迁移失败：{exc}。请修正后运行 openday migrate，"
                "再恢复上传文件（或加 --force 重新恢复）。"
            ) from exc
        migrated = sorted(_applied_migrations() - restored)

        written, kept = _restore_media(manifest, work)
        notes = keys_plan.carry_out()
        phones = check_phones(keys_plan.effective["FIELD_KEY"], keys_plan.effective["HASH_KEY"])
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            counts = _count_rows(cursor, tables, connection.ops.quote_name("{}"))
        return RestoreResult(
            manifest=manifest,
            counts=counts,
            migrations_applied=[f"{app}.{name}" for app, name in migrated],
            media_written=written,
            media_kept=kept,
            keys_notes=notes,
            phones=phones,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _extract(path: Path, work: Path) -> dict:
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            # The data filter refuses the same things again (and strips odd modes).
            tar.extractall(work, members=members, filter="data")
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BackupError(f"{path} 不是完整的 OpenDay 备份文件（{exc}）。") from exc
    try:
        manifest = json.loads((work / MANIFEST).read_text())
    except (FileNotFoundError, ValueError) as exc:
        raise BackupError(f"{path} 中没有可读的 manifest.json，不是 OpenDay 备份文件。") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是 OpenDay 备份文件（manifest.json 格式不对）。")
    return manifest


def _check_member(member: tarfile.TarInfo):
    name = PurePosixPath(member.name)
    unsafe = (
        member.name.startswith(("/", "\\"))
        or name.is_absolute()
        or ".." in name.parts
        or "\\" in member.name
        or not (member.isreg() or member.isdir())
        or (name.parts[:1] and name.parts[0] not in TOP_LEVEL)
    )
    if unsafe:
        raise BackupError(
            f"备份文件中有不安全或不认识的条目：{member.name!r}"
            "（绝对路径、“..”、链接或设备文件），拒绝恢复。"
        )


def _check_manifest(manifest: dict):
    try:
        complete = isinstance(manifest["database"]["vendor"], str) and all(
            isinstance(manifest[key], kind)
            for key, kind in (("migrations", dict), ("counts", dict), ("media", list))
        )
    except (KeyError, TypeError):
        complete = False
    if not complete or manifest["database"].get("file") != DB_FILES.get(
        manifest["database"]["vendor"]
    ):
        raise BackupError("备份中的 manifest.json 不完整，无法恢复。")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"备份格式版本 {version} 比本程序认识的（{FORMAT_VERSION}）新，请先升级 OpenDay 再恢复。"
        )
    source = manifest["database"]["vendor"]
    if source != connection.vendor:
        raise BackupError(
            f"这个备份来自 {VENDOR_NAMES.get(source, source)} 数据库，"
            f"而当前配置的是 {VENDOR_NAMES.get(connection.vendor, connection.vendor)}。"
            "两种数据库的备份不能互相恢复：请在同一种数据库上恢复"
            "（PostgreSQL 用 DATABASE_URL 指定，不设置则为 SQLite）。"
        )
    known = _known_migrations()
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        shown = "、".join(unknown[:5]) + (f" 等 {len(unknown)} 个" if len(unknown) > 5 else "")
        raise BackupError(
            f"这个备份来自较新版本的 OpenDay（含本程序不认识的数据库迁移：{shown}）。"
            "请先把程序升级到不低于备份时的版本，再恢复。"
        )


def _known_migrations() -> set:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or [])
    return known


def domain_rows() -> dict:
    """Rows of the install's own data in the configured database, by model (non-zero only)."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    found = {}
    for model in _models():
        label = model._meta.label
        if (
            not model._meta.app_config.name.startswith("openday.")
            or model._meta.app_label in OPERATIONAL_APPS
            or label in OPERATIONAL_MODELS
            or model._meta.db_table not in tables
        ):
            continue
        rows = model._base_manager.all()
        if label in MIGRATION_ROWS:
            rows = rows.exclude(**MIGRATION_ROWS[label])
        count = rows.count()
        if count:
            found[label] = count
    return found


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        Path(folder, name).relative_to(root).as_posix()
        for folder, _d, names in os.walk(root)
        for name in names
    )


def _check_target_is_empty():
    rows = domain_rows()
    if rows:
        shown = "、".join(f"{label} {count} 行" for label, count in list(rows.items())[:6])
        raise BackupError(
            f"目标数据库已有数据（{shown}……），恢复会覆盖它们，已拒绝。"
            "请恢复到空的数据库；确认要覆盖现有数据时加 --force。"
        )
    files = media_files()
    if files:
        raise BackupError(
            f"上传文件目录 {settings.MEDIA_ROOT} 中已有 {len(files)} 个文件，已拒绝恢复。"
            "请恢复到空目录；确认要覆盖时加 --force（同名文件被替换，其他文件保留）。"
        )


def _verify_files(manifest: dict, work: Path):
    db = manifest["database"]
    db_file = work / db["file"]
    if not db_file.is_file() or _sha256(db_file) != db["sha256"]:
        raise BackupError("备份中的数据库文件缺失或校验值（sha256）不符，备份已损坏，拒绝恢复。")
    listed = {entry["path"] for entry in manifest["media"]}
    media = work / "media"
    present = {
        Path(folder, name).relative_to(media).as_posix()
        for folder, _d, names in os.walk(media)
        for name in names
    }
    # Exactly the files extracted, so a path in the manifest can never point outside media/.
    bad = sorted(present ^ listed)
    for entry in manifest["media"]:
        full = media / entry["path"]
        if entry["path"] in present and (
            full.stat().st_size != entry["size"] or _sha256(full) != entry["sha256"]
        ):
            bad.append(entry["path"])
    if bad:
        raise BackupError(
            f"备份中有 {len(bad)} 个上传文件缺失、多余或校验值不符（如 {bad[0]}），备份已损坏，拒绝恢复。"
        )


def _applied_migrations() -> set:
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if "django_migrations" not in tables:
            return set()
        cursor.execute("SELECT app, name FROM django_migrations")
        return {tuple(row) for row in cursor.fetchall()}


def _restore_sqlite(db_file: Path):
    target = Path(connection.settings_dict["NAME"])
    connections.close_all()
    if not target.exists():
        # A -wal left beside a missing database would be replayed into the new one.
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(db_file)
    dest = sqlite3.connect(target, timeout=20)
    try:
        # The backup API replaces the whole database through SQLite's own locking and journal,
        # so a -wal of the old content cannot outlive it.
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")
        dest.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dest.close()
        source.close()


def _restore_postgresql(dump: Path):
    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    # Drop what is there first: tables a newer schema added would otherwise survive the
    # restore and break the migrate that follows.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname)"
            " FROM pg_views WHERE schemaname = current_schema()"
            " UNION ALL SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename)"
            " FROM pg_tables WHERE schemaname = current_schema()"
        )
        statements = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', sequence_schema, sequence_name)"
            " FROM information_schema.sequences WHERE sequence_schema = current_schema()"
        )
        statements += [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND NOT EXISTS ("
            "   SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        statements += [row[0] for row in cursor.fetchall()]
        for statement in statements:
            cursor.execute(statement)
    connections.close_all()
    _run_pg(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            connection.settings_dict["NAME"],
            str(dump),
        ]
    )


def _pg_env() -> dict:
    """libpq settings from DATABASES: the password goes in the environment, never in argv."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    options = db.get("OPTIONS", {})
    for key, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
        ("options", "PGOPTIONS"),
    ):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _run_pg(argv):
    if shutil.which(argv[0]) is None:
        raise BackupError(f"找不到 {argv[0]}，请安装与服务器版本一致的 PostgreSQL 客户端工具。")
    done = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise BackupError(
            f"{argv[0]} 失败（退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}"
        )


def _restore_media(manifest: dict, work: Path) -> tuple[int, int]:
    root = Path(settings.MEDIA_ROOT)
    listed = {entry["path"] for entry in manifest["media"]}
    kept = sum(1 for name in media_files() if name not in listed)
    for entry in manifest["media"]:
        target = root / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(work / "media" / entry["path"], target)
    return len(listed), kept


# --- keys -----------------------------------------------------------------------------------


@dataclass
class _KeysPlan:
    effective: dict  # the keys the site will use after the restore
    write: dict | None = None  # what to write to secrets.json, if anything
    backup_old: bool = False
    notes: list = field(default_factory=list)

    def carry_out(self) -> list:
        if self.write is not None:
            path = Path(settings.VAR_DIR) / "secrets.json"
            if self.backup_old and path.exists():
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                old = path.with_name(f"secrets.json.bak-{stamp}")
                os.link(path, old)
                self.notes.append(f"原来的 secrets.json 已保存为 {old}。")
            _write_private(path, json.dumps(self.write, indent=2))
            self.notes.append(f"密钥已写入 {path}（权限 600）。")
        return self.notes


def _plan_keys(manifest: dict, work: Path, force: bool) -> _KeysPlan:
    names = list(settings.SECRET_NAMES)
    current = {name: getattr(settings, name) for name in names}
    if not manifest.get("keys_included"):
        return _KeysPlan(
            effective=current,
            notes=["备份中没有密钥：使用本机现有的密钥（secrets.json 或环境变量）。"],
        )
    try:
        archived = json.loads((work / KEYS).read_text())
    except (FileNotFoundError, ValueError) as exc:
        raise BackupError(
            "备份声明包含密钥，但 keys/secrets.json 缺失或无法读取，拒绝恢复。"
        ) from exc
    if not all(isinstance(archived.get(name), str) and archived[name] for name in names):
        raise BackupError("备份中的 keys/secrets.json 缺少密钥，拒绝恢复。")
    archived = {name: archived[name] for name in names}
    from_env = {name: os.environ.get(f"OPENDAY_{name}") for name in names}
    if all(from_env.values()):
        plan = _KeysPlan(effective=current)
        if current != archived:
            plan.notes.append(
                "密钥由环境变量提供，且与备份中的不同：请把 OPENDAY_SECRET_KEY、OPENDAY_FIELD_KEY、"
                "OPENDAY_HASH_KEY 设为备份中 keys/secrets.json 的值，然后重启服务。"
            )
        else:
            plan.notes.append("密钥由环境变量提供，与备份中的相同。")
        return plan
    # settings.py prefers each env var over the file, key by key.
    effective = {name: from_env[name] or archived[name] for name in names}
    plan = _KeysPlan(effective=effective, write=archived)
    if any(from_env.values()):
        plan.notes.append(
            "注意：部分密钥由环境变量提供，它们优先于 secrets.json；"
            "如与备份不同，请改为备份中的值或删除这些环境变量。"
        )
    path = Path(settings.VAR_DIR) / "secrets.json"
    try:
        existing = json.loads(path.read_text())
    except FileNotFoundError:
        return plan
    except ValueError:
        existing = None
    if isinstance(existing, dict) and {n: existing.get(n) for n in names} == archived:
        plan.write = None
        plan.notes.append(f"{path} 中已是备份中的密钥。")
        return plan
    if _made_by_this_process(path):
        plan.notes.append("本次启动时新生成的 secrets.json 已换成备份中的密钥。")
        return plan
    if not force:
        raise BackupError(
            f"{path} 已存在，且与备份中的密钥不同。替换它会使按现有密钥加密的数据无法解密，已拒绝。"
            "确认要换成备份中的密钥时加 --force（原文件会保存为 secrets.json.bak-时间）。"
        )
    plan.backup_old = True
    return plan


def _made_by_this_process(path: Path) -> bool:
    """True when settings.py generated this secrets.json as this very command started.

    A fresh install has no keys, so the first command run (this restore) makes random ones;
    those protect nothing yet, and the archive's keys may take their place without --force.
    """
    started = _process_started_at()
    return started is not None and path.stat().st_mtime >= started - 1


def _process_started_at() -> float | None:
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _write_private(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- phones ---------------------------------------------------------------------------------


def check_phones(field_key: str, hash_key: str, sample: int = PHONE_SAMPLE) -> PhoneCheck:
    """Decrypt a sample of stored phones with the given keys (not necessarily this process's)."""
    result = PhoneCheck()
    with override_settings(FIELD_KEY=field_key, HASH_KEY=hash_key):
        for model in apps.get_models():
            fields = {f.name for f in model._meta.concrete_fields}
            for name in sorted(f for f in fields if f.endswith("_encrypted")):
                hash_name = name.removesuffix("_encrypted") + "_hash"
                columns = ["pk", name] + ([hash_name] if hash_name in fields else [])
                rows = model._base_manager.exclude(**{name: ""})
                picked = {}
                for order in ("pk", "-pk"):
                    for row in rows.order_by(order).values_list(*columns)[:sample]:
                        picked[row[0]] = row
                ok = 0
                for row in picked.values():
                    plain = personal_data.decrypt(row[1])
                    ok += bool(plain)
                    if plain and len(row) > 2 and row[2]:
                        result.hashes_checked += 1
                        result.hashes_matched += personal_data.lookup_hash(plain) == row[2]
                if picked:
                    result.per_field[f"{model._meta.label}.{name}"] = (ok, len(picked))
                    result.checked += len(picked)
                    result.decrypted += ok
    return result


# --- helpers --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("openday")
    except PackageNotFoundError:
        return ""


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
