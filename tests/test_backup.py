"""`openday backup` and `openday restore` run as an operator runs them: separate processes on
separate installs (each its own OPENDAY_VAR_DIR and, on PostgreSQL, its own database).

One source install (migrate + demo + an upload) is backed up once per module; each test restores
into fresh installs. The PostgreSQL variant runs in the PostgreSQL stage (DATABASE_URL set).
"""

import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from openday.ops.backup import DB_FILES

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("DATABASE_URL", "")
KEY_NAMES = ("SECRET_KEY", "FIELD_KEY", "HASH_KEY")
# Models whose rows are compared field by field, not only counted.
DUMPED = [
    "accounts.User",
    "orgs.Org",
    "events.Event",
    "events.Registration",
    "opinions.Opinion",
    "publicity.ArticleImage",
    "workdays.SpecialDay",
]
# Every model's row count and a dump of the key models, in one process.
STATE = f"""
import io, json
from django.apps import apps
from django.core.management import call_command
out = io.StringIO()
call_command("dumpdata", *{DUMPED!r}, stdout=out)
counts = {{m._meta.label: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}}
print(json.dumps({{"counts": counts, "dump": json.loads(out.getvalue())}}))
"""
UPLOAD = "evidence/2026/03/整改照片 1.txt"
_names = itertools.count()


class Install:
    """One OpenDay installation: a VAR_DIR and, on PostgreSQL, a database of its own."""

    def __init__(self, var_dir: Path, vendor: str):
        self.var_dir = var_dir
        self.vendor = vendor
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "OPENDAY_SQLITE_PATH")
            and not k.startswith(("OPENDAY_SECRET", "OPENDAY_FIELD", "OPENDAY_HASH"))
        }
        self.env.update(OPENDAY_VAR_DIR=str(var_dir), OPENDAY_TESTING="1")
        self.db_name = None
        if vendor == "postgresql":
            self.db_name = f"openday_backup_{os.getpid()}_{next(_names)}"
            _pg_admin(f'CREATE DATABASE "{self.db_name}"')
            self.env["DATABASE_URL"] = urlsplit(PG_URL)._replace(path=f"/{self.db_name}").geturl()
            # Production's pooled connections, so restore's closing of the pool is exercised.
            self.env["OPENDAY_DB_POOL"] = "1"

    def run(self, *args, ok=True, umask=None):
        done = subprocess.run(
            [sys.executable, "-m", "openday", *map(str, args)],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
        )
        if ok is not None:
            assert (done.returncode == 0) == ok, (
                f"openday {' '.join(map(str, args))} -> {done.returncode}\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def state(self) -> tuple[dict, list]:
        """Row counts of every model, and the rows of the key models."""
        found = json.loads(self.run("shell", "-c", STATE).stdout.strip().splitlines()[-1])
        return found["counts"], found["dump"]

    @property
    def media_root(self) -> Path:
        return self.var_dir / "media"

    def media(self) -> dict:
        root = self.media_root
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    def keys(self) -> dict:
        data = json.loads((self.var_dir / "secrets.json").read_text())
        return {name: data[name] for name in KEY_NAMES}

    def drop(self):
        if self.db_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def _pg_admin(sql):
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def vendor():
    """The stage's database: make test runs this module once on SQLite, once on PostgreSQL."""
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="module")
def installs(vendor, tmp_path_factory):
    """Make fresh installs; their databases are dropped at the end of the module."""
    made = []

    def make(name="install"):
        install = Install(tmp_path_factory.mktemp(name), vendor)
        made.append(install)
        return install

    yield make
    for install in made:
        install.drop()


@pytest.fixture(scope="module")
def source(installs, tmp_path_factory):
    """An install with the demo data and an upload, backed up with and without its keys."""
    install = installs("source")
    install.run("migrate", "-v", "0")
    install.run("demo")
    upload = install.media_root / UPLOAD
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes("整改前后对比照片（测试）".encode() * 100)
    out = tmp_path_factory.mktemp("archives")
    install.with_keys = out / "with-keys.tar.gz"
    install.without_keys = out / "without-keys.tar.gz"
    # umask 0 would leave a plain os.open'd file world-readable: the archive must not care.
    install.backup_output = install.run("backup", install.with_keys, "--with-keys", umask=0).stdout
    install.run("backup", install.without_keys, umask=0o022)
    install.expected_counts, install.expected_dump = install.state()
    assert install.expected_counts["events.Registration"] > 0
    assert any(
        row["fields"]["phone_encrypted"]
        for row in install.expected_dump
        if row["model"] == "events.registration"
    )
    return install


def _manifest(archive) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def _rewrite(archive, target, *, manifest=None, replace=None, extra=()):
    """A copy of `archive` with an edited manifest, replaced member contents or extra members."""
    replace = replace or {}
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isreg() else b""
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            data = replace.get(member.name, data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
        for member, data in extra:
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def test_backup_writes_one_private_archive_that_lists_what_it_holds(source):
    assert source.with_keys.stat().st_mode & 0o777 == 0o600
    assert source.without_keys.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in source.with_keys.parent.iterdir()) == [
        "with-keys.tar.gz",
        "without-keys.tar.gz",
    ]  # no temporary files left beside them
    manifest = _manifest(source.with_keys)
    assert manifest["database"]["vendor"] == source.vendor
    assert manifest["keys_included"] is True
    assert "events" in manifest["migrations"]
    for label in ("orgs.Org", "events.Registration", "opinions.Opinion"):
        assert manifest["counts"][label] == source.expected_counts[label]
    assert {e["path"]: e["sha256"] for e in manifest["media"]} == source.media()
    with tarfile.open(source.with_keys, "r:gz") as tar:
        names = tar.getnames()
        keys = json.load(tar.extractfile("keys/secrets.json"))
    assert names[0] == "manifest.json"
    assert f"media/{UPLOAD}" in names
    assert keys == source.keys()
    with tarfile.open(source.without_keys, "r:gz") as tar:
        assert not [n for n in tar.getnames() if n.startswith("keys/")]
    assert _manifest(source.without_keys)["keys_included"] is False
    assert "已写入备份" in source.backup_output
    assert "和密钥一样机密" in source.backup_output


def test_backup_refuses_to_overwrite_a_file_unless_forced(source, tmp_path):
    target = tmp_path / "old.tar.gz"
    target.write_bytes(b"an older backup")
    done = source.run("backup", target, ok=False)
    assert "已存在" in done.stderr
    assert target.read_bytes() == b"an older backup"
    source.run("backup", target, "--force")
    assert target.stat().st_mode & 0o777 == 0o600
    assert _manifest(target)["keys_included"] is False


def test_restore_brings_back_the_same_rows_files_and_keys(source, installs):
    target = installs("restored")
    done = target.run("restore", source.with_keys)
    assert "所有表的行数与备份一致" in done.stdout
    assert "手机号核对" in done.stdout
    counts, dump = target.state()
    assert counts == source.expected_counts
    assert dump == source.expected_dump
    assert target.media() == source.media()
    assert target.keys() == source.keys()
    assert (target.var_dir / "secrets.json").stat().st_mode & 0o777 == 0o600

    # A second restore would overwrite what is now there.
    again = target.run("restore", source.with_keys, ok=False)
    assert "目标数据库已有数据" in again.stderr
    target.run("restore", source.with_keys, "--force")
    assert target.state() == (source.expected_counts, source.expected_dump)
    assert target.media() == source.media()


def test_restore_without_the_matching_keys_fails_the_phone_check(source, installs):
    target = installs("wrong-keys")
    done = target.run("restore", source.without_keys, ok=False)
    assert "密钥与数据不匹配" in done.stderr
    assert "0 个能用恢复后生效的密钥解密" in done.stdout
    # The data is there; with the separately kept keys in place the check passes.
    assert target.state() == (source.expected_counts, source.expected_dump)
    (target.var_dir / "secrets.json").write_text(json.dumps(source.keys()))
    checked = target.run("restore", "--check-keys")
    assert "个能用恢复后生效的密钥解密" in checked.stdout
    assert " 0 个能用" not in checked.stdout


def test_restore_keeps_a_different_secrets_file_unless_forced(source, installs):
    target = installs("other-keys")
    target.run("migrate", "-v", "0")  # an empty install that made keys of its own
    own = target.keys()
    secrets = target.var_dir / "secrets.json"
    os.utime(secrets, (1_700_000_000, 1_700_000_000))
    done = target.run("restore", source.with_keys, ok=False)
    assert "secrets.json 已存在" in done.stderr
    assert target.keys() == own
    assert target.state()[0]["orgs.Org"] == 0  # refused before touching the database

    target.run("restore", source.with_keys, "--force")
    assert target.keys() == source.keys()
    (kept,) = target.var_dir.glob("secrets.json.bak-*")
    assert json.loads(kept.read_text()) == own
    assert target.state() == (source.expected_counts, source.expected_dump)


def test_restore_refuses_a_target_whose_media_folder_holds_files(source, installs):
    target = installs("media-only")
    (target.media_root / "article-images").mkdir(parents=True)
    (target.media_root / "article-images" / "kept.png").write_bytes(b"png")
    done = target.run("restore", source.with_keys, ok=False)
    assert "上传文件目录" in done.stderr


@pytest.mark.parametrize(
    "member",
    [
        ("../escaped.txt", tarfile.REGTYPE, ""),
        ("/tmp/openday-absolute.txt", tarfile.REGTYPE, ""),
        ("media/link", tarfile.SYMTYPE, "../../../../etc/passwd"),
        ("media/hard", tarfile.LNKTYPE, "/etc/passwd"),
    ],
    ids=["dot-dot", "absolute", "symlink", "hardlink"],
)
def test_restore_refuses_an_archive_with_unsafe_members(source, installs, tmp_path, member):
    name, kind, link = member
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    data = b"escaped" if kind == tarfile.REGTYPE else None
    info.size = len(data or b"")
    bad = _rewrite(source.with_keys, tmp_path / "bad.tar.gz", extra=[(info, data)])
    target = installs("unsafe")
    done = target.run("restore", bad, ok=False)
    assert "不安全" in done.stderr
    assert not (target.var_dir / "escaped.txt").exists()
    assert not (target.var_dir.parent / "escaped.txt").exists()
    assert not Path("/tmp/openday-absolute.txt").exists()
    assert target.media() == {}


def test_restore_refuses_another_vendor_a_newer_version_and_a_damaged_file(
    source, installs, tmp_path
):
    target = installs("refusals")
    other = "postgresql" if source.vendor == "sqlite" else "sqlite"

    def vendor(m):
        m["database"]["vendor"] = other
        m["database"]["file"] = DB_FILES[other]
        return m

    def newer(m):
        m["migrations"]["events"].append("9999_from_a_newer_version")
        return m

    done = target.run(
        "restore", _rewrite(source.with_keys, tmp_path / "v.tar.gz", manifest=vendor), ok=False
    )
    assert "不能互相恢复" in done.stderr
    done = target.run(
        "restore", _rewrite(source.with_keys, tmp_path / "n.tar.gz", manifest=newer), ok=False
    )
    assert "较新版本" in done.stderr
    assert "events.9999_from_a_newer_version" in done.stderr
    damaged = _rewrite(
        source.with_keys, tmp_path / "d.tar.gz", replace={f"media/{UPLOAD}": b"not the photo"}
    )
    done = target.run("restore", damaged, ok=False)
    assert "校验" in done.stderr
    not_an_archive = tmp_path / "x.tar.gz"
    not_an_archive.write_bytes(b"plain text")
    done = target.run("restore", not_an_archive, ok=False)
    assert "不是完整的 OpenDay 备份文件" in done.stderr
    assert target.media() == {}


def test_a_moved_model_is_counted_under_its_new_label():
    """restore compares an older manifest's counts under today's labels (ops.backup.MOVED_MODELS)."""
    from django.apps import apps

    from openday.ops.backup import MOVED_MODELS

    labels = {m._meta.label for m in apps.get_models()}
    assert set(MOVED_MODELS.values()) <= labels
    assert not set(MOVED_MODELS) & labels
