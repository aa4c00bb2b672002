from django.urls import path

from . import views

app_name = "crosschecks"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.result, name="result"),
    path("flag/<int:pk>/clear/", views.clear, name="clear"),
]
