from django.urls import path

from . import views

app_name = "homes"

urlpatterns = [
    path("", views.index, name="index"),
    path("add/<str:code>/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/shifts/add/", views.add_shift, name="add_shift"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("shifts/<int:pk>/cancel/", views.cancel_shift, name="cancel_shift"),
    path("shifts/<int:pk>/check-in/", views.check_in, name="check_in"),
]
