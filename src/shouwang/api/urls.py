from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from shouwang.accounts.views import ObtainTokenView
from shouwang.activities import api as activities_api
from shouwang.assistance import api as assistance_api
from shouwang.oversight import api as oversight_api

from . import serializers, views

app_name = "api"

router = DefaultRouter()
router.register("orgs", views.OrgViewSet, basename="org")
router.register("children", views.ChildViewSet, basename="child")
router.register("guardians", views.GuardianViewSet, basename="guardian")
router.register("pairings", views.PairingViewSet, basename="pairing")
router.register("care-records", views.CareRecordViewSet, basename="care-record")
router.register("incidents", views.IncidentViewSet, basename="incident")
# The areas that keep their API with them (their services, selectors and serializers).
activities_api.register(router)
assistance_api.register(router)
oversight_api.register(router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/stats/", views.StatsView.as_view(), name="stats"),
    path(
        "v1/token/",
        ObtainTokenView.as_view(serializer_class=serializers.TokenRequestSerializer),
        name="token",
    ),
    # The schema answers to a token as well as a session (interfaces.md), and to no one else.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="schema",
    ),
    # Its script served apart (?script), as the Content-Security-Policy runs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
