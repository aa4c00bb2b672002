from django.urls import path

from . import views

app_name = "safety"

urlpatterns = [
    path("", views.incidents, name="incidents"),
    path("report/", views.report, name="report"),
    path("chain/", views.chain, name="chain"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/police/", views.police, name="police"),
    path("<int:pk>/close/", views.close, name="close"),
    path("step/<int:pk>/tick/", views.tick, name="tick"),
]
