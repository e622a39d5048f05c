from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_helpers import CityScopedAdmin
from portal.models import ClerkProfile, User


class ClerkProfileInline(admin.StackedInline):
    model = ClerkProfile
    can_delete = False


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin):
    list_display = ["real_name", "masked_id", "masked_phone", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["real_name", "=id_number", "=mobile"]
    fields = ["real_name", "id_number", "mobile", "role", "medical_institution", "is_active", "is_staff", "is_superuser", "date_joined", "last_login"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [ClerkProfileInline]

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("mobile"))
    def masked_phone(self, obj):
        return obj.masked_mobile


@admin.register(ClerkProfile)
class ClerkProfileAdmin(CityScopedAdmin):
    list_display = ["user", "city", "office"]
    list_filter = ["city"]
    clerk_can = ("view",)
