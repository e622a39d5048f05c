from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal import account_services, identity
from portal.admin_helpers import CityScopedAdmin, HistoryAdmin, clerk_city
from portal.admin_idnumbers import IdNumberAdminMixin
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


class CounterVerifyForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        max_length=200,
        help_text=_("What was seen at the counter: the ID card, its issuing office, any document number."),
    )


class CounterRecoverForm(CounterVerifyForm):
    mobile = forms.CharField(
        label=_("the rightful holder's mobile"),
        max_length=20,
        help_text=_("Replaces the mobile of the account. The holder then sets a password by SMS reset."),
    )


@admin.register(User)
class UserAdmin(HistoryAdmin):
    form = UserAdminForm
    list_display = ["real_name", "masked_id", "masked_phone", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["real_name", "=mobile"]  # and ID numbers by keyed hash (portal.admin_idnumbers)
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
        "identity_verified_at",
        "identity_verified_how",
        "identity_note",
        "counter_actions",
    ]
    readonly_fields = [
        "date_joined",
        "last_login",
        "identity_verified_at",
        "identity_verified_how",
        "identity_note",
        "counter_actions",
    ]
    inlines = [ClerkProfileInline]
    # What a counter clerk sees of an account: masked numbers, the verification, the actions.
    clerk_fields = [
        "real_name",
        "masked_id",
        "masked_phone",
        "role",
        "is_active",
        "date_joined",
        "identity_verified_at",
        "identity_verified_how",
        "identity_note",
        "counter_actions",
    ]

    def _is_clerk(self, request):
        return not request.user.is_superuser and clerk_city(request.user) is not None

    def has_module_permission(self, request):
        return self._is_clerk(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_clerk(request) or super().has_view_permission(request, obj)

    def get_fields(self, request, obj=None):
        return self.clerk_fields if self._is_clerk(request) else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.clerk_fields if self._is_clerk(request) else super().get_readonly_fields(request, obj)

    def get_inline_instances(self, request, obj=None):
        return [] if self._is_clerk(request) else super().get_inline_instances(request, obj)

    def _may_act_at_counter(self, request, user):
        if self._is_clerk(request):
            return not (user.is_staff or user.is_superuser)  # staff accounts: province admins only
        return self.has_change_permission(request, user)

    @admin.display(description=_("at the counter"))
    def counter_actions(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:portal_user_verify_identity", args=[obj.pk]),
            _("Verify identity"),
            reverse("admin:portal_user_recover", args=[obj.pk]),
            _("Give the account back to the rightful holder"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/verify-identity/",
                self.admin_site.admin_view(self.verify_view),
                name="portal_user_verify_identity",
            ),
            path("<int:pk>/recover/", self.admin_site.admin_view(self.recover_view), name="portal_user_recover"),
        ] + super().get_urls()

    def _counter_view(self, request, pk, form_class, title, act):
        """A clerk's counter action on one account: a form with the reason, then the service."""
        user = get_object_or_404(User, pk=pk)
        if not self._may_act_at_counter(request, user):
            raise PermissionDenied
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                act(user, form.cleaned_data)
            except account_services.AccountError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Done and recorded in the account's history."))
                return redirect("admin:portal_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "account": user,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/portal/user/counter_action.html", context)

    def verify_view(self, request, pk):
        return self._counter_view(
            request,
            pk,
            CounterVerifyForm,
            _("Verify identity at the counter"),
            lambda user, data: account_services.identity_verify_at_counter(
                user, clerk=request.user, reason=data["reason"]
            ),
        )

    def recover_view(self, request, pk):
        return self._counter_view(
            request,
            pk,
            CounterRecoverForm,
            _("Give the account back to the rightful holder"),
            lambda user, data: account_services.account_recover_at_counter(
                user, clerk=request.user, mobile=data["mobile"], reason=data["reason"]
            ),
        )

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj):
        return obj.masked_mobile

    def get_search_results(self, request, queryset, search_term):
        term = identity.nfkc(search_term).strip()
        if identity.normalize_mobile(term).isdigit():
            search_term = identity.normalize_mobile(term)
        return super().get_search_results(request, queryset, search_term)


@admin.register(ClerkProfile)
class ClerkProfileAdmin(CityScopedAdmin):
    list_display = ["user", "city", "office"]
    list_filter = ["city"]
    clerk_can = ("view",)


@admin.register(SmsCode)
class SmsCodeAdmin(IdNumberAdminMixin, admin.ModelAdmin):
    """Read-only trail for "I never got the code": when, for what, and what the gateway reported."""

    list_display = [
        "masked_phone",
        "purpose",
        "created_at",
        "attempts",
        "used_at",
        "send_state",
        "send_attempts",
        "message_id",
        "delivery_status",
    ]
    list_filter = ["purpose", "send_state", "delivery_status"]
    search_fields = ["=mobile", "=message_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # The text holds the code until the gateway takes it: never shown, like the hash.
    exclude = ["code_hash", "text", "mobile"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj):
        return identity.mask_mobile(obj.mobile)

    def get_search_results(self, request, queryset, search_term):
        mobile = identity.normalize_mobile(search_term)
        return super().get_search_results(request, queryset, mobile if mobile.isdigit() else search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
