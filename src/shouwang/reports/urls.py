from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
    path("variables/", views.variables, name="variables"),
    path("template/default/", views.default_template, name="default_template"),
    path("templates/<str:code>/", views.templates, name="templates"),
    path("templates/file/<int:pk>/", views.template_file, name="template_file"),
]
