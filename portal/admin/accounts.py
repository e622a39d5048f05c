from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from portal import identity
from portal.admin_helpers import CityScopedAdmin, HistoryAdmin
from portal.forms import LoginForm
from portal.models import ClerkProfile, SmsCode, User


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login: staff only (AdminAuthenticationForm), with the portal's failed-login limits."""

    error_messages = {**AdminAuthenticationForm.error_messages, **LoginForm.error_messages}


admin.site.login_form = AdminLoginForm


class ClerkProfileInline(admin.StackedInline):
    model = ClerkProfile
    can_delete = False


class UserAdminForm(forms.ModelForm):
    """Validates the ID number and mobile like registration does, and sets a password when given."""

    new_password = forms.CharField(
        label=_("new password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Required for a new account; leave empty to keep the current password."),
    )

    class Meta:
        model = User
        fields = [
            "real_name",
            "id_number",
            "mobile",
            "role",
            "medical_institution",
            "is_active",
            "is_staff",
            "is_superuser",
        ]

    def clean_id_number(self):
        return identity.validate_id_number(self.cleaned_data["id_number"])

    def clean_mobile(self):
        return identity.validate_mobile(self.cleaned_data["mobile"])

    def clean_new_password(self):
        password = self.cleaned_data.get("new_password")
        if not password and not self.instance.pk:
            raise forms.ValidationError(_("Give the new account a password."))
        if password:
            password_validation.validate_password(password, self.instance)
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            user.set_password(self.cleaned_data["new_password"])
        if commit:
            user.save()
            self.save_m2m()
        return user


@admin.register(User)
class UserAdmin(HistoryAdmin):
    form = UserAdminForm
    list_display = ["real_name", "masked_id", "masked_phone", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["real_name", "=id_number", "=mobile"]
    fields = [
        "real_name",
        "id_number",
        "mobile",
        "new_password",
        "role",
        "medical_institution",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    ]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [ClerkProfileInline]

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj):
        return obj.masked_mobile

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if len(term) == 18:
            search_term = identity.id_key(term)
        return super().get_search_results(request, queryset, search_term)


@admin.register(ClerkProfile)
class ClerkProfileAdmin(CityScopedAdmin):
    list_display = ["user", "city", "office"]
    list_filter = ["city"]
    clerk_can = ("view",)


@admin.register(SmsCode)
class SmsCodeAdmin(admin.ModelAdmin):
    """Read-only trail for "I never got the code": when, for what, and what the gateway reported."""

    list_display = ["masked_phone", "purpose", "created_at", "attempts", "used_at", "message_id", "delivery_status"]
    list_filter = ["purpose", "delivery_status"]
    search_fields = ["=mobile", "=message_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ["code_hash"]

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj):
        return identity.mask_mobile(obj.mobile)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
