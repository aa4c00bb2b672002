from django.urls import path

from . import views

app_name = "children"
urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.add, name="add"),
    path("validate/", views.validate, name="validate"),
    path("cards.pdf", views.contact_cards, name="cards"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("transfers/", views.transfers, name="transfers"),
    path("handover/<str:code>/", views.handover, name="handover"),
    path("definition/<str:code>/", views.definition, name="definition"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("<int:pk>/consent/", views.consent, name="consent"),
    path("<int:pk>/consent/withdraw/", views.consent, {"withdraw": True}, name="withdraw_consent"),
    path("consent/<int:pk>/form/", views.consent_scan, name="consent_scan"),
    path("retention/", views.retention_runs, name="retention"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("reviews/setting/", views.review_setting, name="review_setting"),
]
