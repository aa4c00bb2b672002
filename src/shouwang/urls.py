from django.urls import include, path

from shouwang.web.views import healthz

urlpatterns = [
    path("", include("shouwang.web.urls")),
    path("accounts/", include("shouwang.accounts.urls")),
    path("orgs/", include("shouwang.units.urls")),
    path("children/", include("shouwang.children.urls")),
    path("ledger/", include("shouwang.ledger.urls")),
    path("care/", include("shouwang.care.urls")),
    path("stats/", include("shouwang.stats.urls")),
    path("api/", include("shouwang.api.urls")),
    path("notices/", include("shouwang.notices.urls")),
    path("safety/", include("shouwang.safety.urls")),
    path("family/", include("shouwang.family.urls")),
    path("counseling/", include("shouwang.counseling.urls")),
    path("health/", include("shouwang.health.urls")),
    path("assistance/", include("shouwang.assistance.urls")),
    path("activities/", include("shouwang.activities.urls")),
    path("homes/", include("shouwang.homes.urls")),
    path("rounds/", include("shouwang.oversight.urls")),
    path("cross-checks/", include("shouwang.crosschecks.urls")),
    path("referrals/", include("shouwang.referrals.urls")),
    path("assessment/", include("shouwang.assessment.urls")),
    path("inspections/", include("shouwang.inspections.urls")),
    path("reports/", include("shouwang.reports.urls")),
    path("healthz", healthz, name="healthz"),
]

# A database that refuses writes is told as such (503), not as a bug (web.views.server_error).
handler500 = "shouwang.web.views.server_error"
