from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/done/", views.done, name="done"),
    path("import/<str:token>/", views.preview, name="preview"),
    path("import/<str:token>/teach/", views.teach, name="teach"),
    path("import/<str:token>/apply/", views.apply, name="apply"),
    path("import/<str:token>/errors.xlsx", views.error_report, name="errors"),
    path("export/<str:code>.xlsx", views.export, name="export"),
]
