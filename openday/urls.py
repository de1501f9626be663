from django.urls import include, path

from openday.api.urls import urlpatterns as api_urlpatterns
from openday.messaging import receipts
from openday.portal.views import favicon

urlpatterns = [
    # Browsers and feed readers ask for /favicon.ico whatever the page says: the site's icon.
    path("favicon.ico", favicon, name="favicon"),
    # Delivery receipts pushed by the SMS gateways; the token is OPENDAY_SMS_RECEIPT_TOKEN.
    path("hooks/sms/aliyun/<str:token>/", receipts.aliyun_receipts, name="sms_receipts_aliyun"),
    path("hooks/sms/tencent/<str:token>/", receipts.tencent_receipts, name="sms_receipts_tencent"),
    path("", include("openday.portal.urls")),
    path("staff/", include("openday.control.urls")),
    *api_urlpatterns,
]

handler400 = "openday.portal.views.bad_request"
handler403 = "openday.portal.views.permission_denied"
handler404 = "openday.portal.views.page_not_found"
handler500 = "openday.portal.views.server_error"
