"""Loading the demo data: one idempotent function, called by `openday demo`."""

from django.db import transaction

from openday.accounts.models import User
from openday.accounts.services import generate_password
from openday.orgs.models import Membership, Org, Region

from . import seed_data as seed


def _region(ref):
    if not ref:
        return None
    if ref.isdigit():
        return Region.objects.get(code=ref)
    return Region.objects.get(name=ref)


def _org(name, kind, parent, region, **extra):
    org, created = Org.objects.get_or_create(
        parent=parent, name=name, defaults={"kind": kind, "region": region, **extra}
    )
    if created or not org.path:
        prefix = parent.path if parent else ""
        org.path = f"{prefix}{org.pk:08d}/"
        org.save(update_fields=["path"])
    return org


def load_demo(reset_passwords=False):
    """Create what is missing; returns [(username, full name, where, role, password or None)]."""
    with transaction.atomic():
        for code, name, level, parent_ref in seed.REGIONS:
            parent = _region(parent_ref)
            lookup = {"code": code} if code else {"parent": parent, "name": name}
            Region.objects.get_or_create(
                **lookup, defaults={"name": name, "level": level, "parent": parent, "code": code}
            )
        by_name = {}
        for name, short, kind, parent_name, region_ref, contact, phone, email, doc in seed.ORGS:
            by_name[name] = _org(
                name, kind, by_name.get(parent_name), _region(region_ref), short_name=short,
                contact_name=contact, contact_phone=phone, email=email, doc_code=doc,
            )  # fmt: skip
        kaifu = by_name[seed.KAIFU_OFFICE]
        district = kaifu.region
        for name in seed.KAIFU_UNITS:
            by_name[name] = _org(name, "unit", kaifu, district,
                                 short_name=name.replace("开福区", "区").replace("长沙市", ""))  # fmt: skip
        for name in seed.KAIFU_STREETS:
            by_name[name] = _org(name, "unit", kaifu, district, short_name=name)
        town = by_name[seed.TOWN]
        for name in seed.TOWN_DEPARTMENTS:
            by_name[name] = _org(name, "department", town, town.region)
        by_name[seed.VILLAGE_COMMITTEE] = _org(
            seed.VILLAGE_COMMITTEE, "department", town, Region.objects.get(name="孟和杭沙尔村"),
            short_name="孟和杭沙尔村",
        )  # fmt: skip

        accounts = []
        for username, full_name, org_name, role, title in seed.ACCOUNTS:
            user = User.objects.filter(username=username).first()
            password = None
            if user is None:
                user = User(username=username, full_name=full_name)
                password = generate_password()
                user.set_password(password)
                user.is_superuser = role == "operator"
                user.save()
            elif reset_passwords:
                password = generate_password()
                user.set_password(password)
                user.save(update_fields=["password"])
            where = "全部（系统运维）"
            if org_name:
                org = by_name[org_name]
                Membership.objects.get_or_create(
                    user=user, org=org, defaults={"role": role, "title": title}
                )
                where = org.name
            accounts.append((username, full_name, where, role, password))
    return accounts
