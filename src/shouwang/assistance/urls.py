from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("", views.home, name="home"),
    path("presets/<str:code>/", views.presets, name="presets"),
    path("programme/<str:code>/add/", views.add_programme, name="add_programme"),
    path("apply/", views.apply, name="apply"),
    path("application/<int:pk>/", views.decide, name="decide"),
    path("pay/", views.pay, name="pay"),
    path("batch/", views.batch, name="batch"),
    path("payment/<int:pk>/", views.payment, name="payment"),
    path("payment/<int:pk>/void/", views.void, name="void"),
    path("funds/", views.funds, name="funds"),
    path("funds/<str:code>/add/", views.add_fund, name="add_fund"),
    path("fund/<int:pk>/", views.fund, name="fund"),
    path("fund/<int:pk>/in/", views.donate, name="donate"),
    path("fund/<int:pk>/out/", views.spend, name="spend"),
    path("donation/<int:pk>/statement/", views.statement, name="statement"),
    path("wishes/", views.wishes, name="wishes"),
    path("wishes/add/", views.add_wish, name="add_wish"),
    path("wish/<int:pk>/match/", views.match_wish, name="match_wish"),
    path("wish/<int:pk>/fulfil/", views.fulfil_wish, name="fulfil_wish"),
]
