from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/void/", views.void, name="void"),
    path("<int:pk>/findings/add/", views.add_rectification, name="add_rectification"),
    path("finding/<int:pk>/edit/", views.edit_rectification, name="edit_rectification"),
    path("finding/<int:pk>/void/", views.void_rectification, name="void_rectification"),
    path("finding/<int:pk>/answer/", views.answer, name="answer"),
    path("finding/<int:pk>/close/", views.close, name="close"),
    path("finding/<int:pk>/return/", views.send_back, name="return"),
    path("photo/<int:pk>/", views.photo, name="photo"),
]
