CARE_COOKIE = "od_care"


def care_mode(request):
    """关怀版: larger text, higher contrast, simpler layout; remembered in a cookie."""
    return {"care_mode": request.COOKIES.get(CARE_COOKIE) == "1"}


def public_page(scopes, **options):
    """The page cache (openday.lib.pagecache) for a public page: keyed on 关怀版 too."""
    from openday.lib.pagecache import cached_page

    return cached_page(scopes, flavour=lambda r: care_mode(r)["care_mode"], **options)
