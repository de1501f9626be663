CARE_COOKIE = "od_care"


def care_mode(request):
    """关怀版: larger text, higher contrast, simpler layout; remembered in a cookie."""
    return {"care_mode": request.COOKIES.get(CARE_COOKIE) == "1"}
