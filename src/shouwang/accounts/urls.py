from django.contrib.auth import views as auth_views
from django.urls import path

from . import reset, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("logout-everywhere/", views.log_out_everywhere, name="logout_everywhere"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/codes/", views.two_factor_codes, name="two_factor_codes"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    # 忘记密码: a manager resets it, the person chooses a new one (accounts/reset.py).
    path("users/reset/", reset.reset_list, name="reset_list"),
    path("users/<int:pk>/reset/", reset.reset, name="reset"),
    path("password/new/", reset.password_required, name="password_required"),
    path("audit/", views.audit_log, name="audit"),
]
