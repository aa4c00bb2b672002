from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("score/<int:pk>/", views.score, name="score"),
    path("point/<int:pk>/", views.point, name="point"),
    path("run/<int:pk>/freeze/", views.freeze, name="freeze"),
    path("<str:code>/", views.ranking, name="ranking"),
    path("<str:code>/rules/", views.rules, name="rules"),
    path("<str:code>/rules/preset/", views.preset, name="preset"),
    path("<str:code>/rules/bands/", views.bands, name="bands"),
    path("<str:code>/rules/point/", views.add_point, name="add_point"),
    path("<str:code>/compute/", views.compute, name="compute"),
]
