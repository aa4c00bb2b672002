from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.index, name="index"),
    path("days/", views.days, name="days"),
    path("child/<int:pk>/refer/", views.refer, name="refer"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/close/", views.close, name="close"),
]
