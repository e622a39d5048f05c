from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import accounts

app_name = "accounts"
urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/sms/", accounts.sms_login, name="sms_login"),
    path("verify/", accounts.identity_verify, name="identity_verify"),
    path("register/", accounts.register, name="register"),
    path("password-reset/", accounts.password_reset, name="password_reset"),
    path("sms/receipt/", accounts.sms_receipt, name="sms_receipt"),
]
