from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    path("", views.index, name="index"),
    path("open/<str:code>/", views.open_round, name="open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("unit/<int:pk>/", views.unit, name="unit"),
    path("submission/<int:pk>/return/", views.return_submission, name="return"),
    path("submission/<int:pk>/ledger/", views.ledger, name="ledger"),
]
