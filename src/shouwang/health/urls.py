from django.urls import path

from . import views

app_name = "health"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("references/", views.references, name="references"),
    path("child/<int:pk>/", views.child, name="child"),
    path("child/<int:pk>/add/", views.add, name="add"),
    path("checkup/<int:pk>/correct/", views.correct, name="correct"),
    path("sheet/<str:code>/", views.sheet, name="sheet"),
    path("import/", views.upload, name="upload"),
    path("import/<str:token>/", views.preview, name="preview"),
    path("import/<str:token>/apply/", views.apply, name="apply"),
    path("import/<str:token>/errors.xlsx", views.error_report, name="errors"),
]
