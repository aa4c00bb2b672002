from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("add/", views.add_activity, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/sessions/add/", views.add_session, name="add_session"),
    path("<int:pk>/photos/add/", views.add_photo, name="add_photo"),
    path("session/<int:pk>/", views.attendance, name="attendance"),
    path("photo/<int:pk>/", views.photo, name="photo"),
    path("groups/", views.groups, name="groups"),
    path("groups/add/", views.add_group, name="add_group"),
    path("groups/<int:pk>/", views.group, name="group"),
    path("training/", views.training, name="training"),
    path("training/add/", views.add_training, name="add_training"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("commendations/", views.commendations, name="commendations"),
    path("commendations/add/", views.add_commendation, name="add_commendation"),
]
