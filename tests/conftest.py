"""Named personas over the demo organizations, shared by the tests."""

import pytest

from openday.accounts.models import User
from openday.demo.services import load_demo
from openday.orgs.models import Membership, Org

KAIFU = "开福区政务公开政务服务工作领导小组办公室"
HOUSING = "开福区住房和城乡建设局"
STREET = "四方坪街道"
NAIMAN = "奈曼旗人民政府办公室"
TOWN = "沙日浩来镇人民政府"
TOWN_DEPT = "党政综合办公室"

# persona -> demo username (None: anonymous)
PERSONAS = {
    "anonymous": None,
    "norole": "norole",
    "operator": "ops",
    "kf_office": "kf-office",
    "kf_viewer": "kf-viewer",
    "unit_admin": "kf-unit-admin",
    "unit_staff": "kf-unit-staff",
    "handler": "kf-handler",
    "nm_office": "nm-office",
    "town_admin": "shrhl-admin",
    "town_handler": "shrhl-handler",
}
STAFF = set(PERSONAS) - {"anonymous", "norole"}


class World:
    """The demo data with handles on the objects tests talk about."""

    def __init__(self):
        load_demo()
        self.users = {
            name: User.objects.get(username=username)
            for name, username in PERSONAS.items()
            if username and username != "norole"
        }
        self.users["norole"] = User.objects.create_user("norole", password="x", full_name="无角色")
        self.kaifu = Org.objects.get(name=KAIFU)
        self.housing = Org.objects.get(name=HOUSING)
        self.street = Org.objects.get(name=STREET)
        self.naiman = Org.objects.get(name=NAIMAN)
        self.town = Org.objects.get(name=TOWN)
        self.town_dept = Org.objects.get(name=TOWN_DEPT, parent=self.town)
        self.staff_membership = Membership.objects.get(user=self.users["unit_staff"])

    def client_for(self, client, persona):
        client.logout()
        if PERSONAS[persona] is not None:
            client.force_login(self.users[persona])
        return client


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache (ids are reused between tests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def page_versions_bumped_in_the_test_transaction(settings):
    """Each test is one transaction that never commits: bump the page cache's versions inside
    it (openday/lib/pagecache.py bumps after the commit in production; a test there covers it)."""
    settings.OPENDAY_PAGECACHE_BUMP_AT_ONCE = True


@pytest.fixture(autouse=True)
def rollups_counted_per_request(settings):
    """Whether a count is stored as a roll-up depends on how long it took; tests must not
    depend on the machine's speed: nothing is stored unless a test asks (tests/test_rollups.py
    sets OPENDAY_ROLLUP_HEAVY_MS = 0, and the roll-up path of each kind is tested there)."""
    settings.OPENDAY_ROLLUP_HEAVY_MS = 10**9


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def alice(world):
    """Alice runs the 开福区 openness office."""
    return world.users["kf_office"]


@pytest.fixture
def bob(world):
    """Bob administers 开福区住房和城乡建设局, one of Alice's units."""
    return world.users["unit_admin"]


@pytest.fixture
def charlie(world):
    """Charlie runs 奈曼旗's office, a different tree from Alice's."""
    return world.users["nm_office"]
