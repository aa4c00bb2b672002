from django.urls import path

from . import views

app_name = "family"

urlpatterns = [
    path("", views.rooms, name="rooms"),
    path("rooms/<str:code>/add/", views.add_room, name="add_room"),
    path("silence/", views.silence, name="silence"),
    path("child/<int:pk>/", views.child, name="child"),
]
