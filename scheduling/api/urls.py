"""API URLs: the generated NinjaAPI, then a JSON 404 for any other /api/ or /session/ path."""

from django.urls import path, re_path

from notifications.api import router as notifications_router

from .auth_api import router as auth_router
from .availability_api import router as availability_router
from .core import api, api_fallback
from .outcomes_api import router as outcomes_router
from .planning_api import router as planning_router
from .session_api import router as session_router

api.add_router("", auth_router)
api.add_router("", session_router)
api.add_router("", planning_router)  # before /api/availability/<id> paths
api.add_router("", availability_router)
api.add_router("", outcomes_router)
api.add_router("", notifications_router)

urlpatterns = [
    path("", api.urls),
    # "/api" and "/session" too: without this, APPEND_SLASH would answer with an HTML 301.
    re_path(r"^(?:api|session)(?:/|$)", api_fallback),
]
