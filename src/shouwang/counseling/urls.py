from django.urls import path

from . import views

app_name = "counseling"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mailbox/<str:code>/add/", views.add_letter, name="add_letter"),
    path("mailbox/<str:code>/opened/", views.open_mailbox, name="open_mailbox"),
    path("letter/<int:pk>/reply/", views.reply, name="reply"),
    path("letter/<int:pk>/scan/", views.letter_scan, name="letter_scan"),
    path("child/<int:pk>/", views.child, name="child"),
    path("child/<int:pk>/session/", views.add_session, name="add_session"),
    path("child/<int:pk>/plan/", views.start_plan, name="start_plan"),
    path("plan/<int:pk>/review/", views.review_plan, name="review_plan"),
]
