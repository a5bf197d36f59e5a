"""URL map: pages at the original product's paths, the JSON API, the admin."""

from django.contrib import admin
from django.urls import include, path

from scheduling.api import urls as api_urls

admin.site.site_header = "Mentoring administration"
admin.site.site_title = "Mentoring admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # Pages first: the API's own root view ("") must not shadow the home page.
    path("", include("notifications.urls")),
    path("", include("scheduling.urls")),
    path("", include(api_urls)),
]

handler400 = "scheduling.views.public.bad_request"
handler403 = "scheduling.views.public.permission_denied"
handler404 = "scheduling.views.public.page_not_found"
handler500 = "scheduling.views.public.server_error"
