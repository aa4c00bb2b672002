from django.urls import path

from . import views

app_name = "units"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/add/", views.add_child, name="add_child"),
    path("<str:code>/enrolment/", views.record_enrolment, name="enrolment"),
    path("<str:code>/terms/add/", views.add_term, name="add_term"),
    path("<str:code>/holidays/add/", views.add_holiday, name="add_holiday"),
]
