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
    path("export/<str:code>/", views.export, name="export"),
    path("roster/<str:code>/", views.roster, name="roster"),
    path("layout/<str:code>/", views.layout, name="layout"),
    path("exports/", views.export_jobs, name="exports"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("exports/<int:pk>/approve/", views.export_approve, name="export_approve"),
    path("exports/<int:pk>/refuse/", views.export_refuse, name="export_refuse"),
]
