"""Admin building blocks: clerks see and change only their own city's records."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_idnumbers import IdNumberAdminMixin


def clerk_city(user):
    """The city a clerk works for, or None for anyone else."""
    if user.is_authenticated and user.is_active and getattr(user, "is_clerk", False):
        profile = getattr(user, "clerk_profile", None)
        return profile.city if profile else None
    return None


def database_accepts(sql: str, params) -> bool:
    """Whether PostgreSQL accepts a statement built from a clerk's input (a pattern, say).

    Runs in a savepoint: the admin's form runs inside the change view's transaction, and a
    statement PostgreSQL rejects there would abort it (every later query a 500) instead of
    becoming the form error it should be.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except (DatabaseError, ValueError):
        return False
    return True


class HistoryAdmin(IdNumberAdminMixin, SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history form never writes without the change permission.

    django-simple-history's history_form_view ("revert") saves the posted form after checking
    only the view permission, so a clerk allowed to look at a record could change it there. Every
    admin with a history page derives from this class (tests/portal/test_access_matrix.py checks).
    It also masks ID numbers and searches them by keyed hash (portal.admin_idnumbers).
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not hasattr(self.model._meta, "simple_history_manager_attribute"):
            raise Http404  # a model that keeps no history has no history form
        if not str(version_id).isdigit() or len(str(version_id)) > 18:
            raise Http404
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, object_id)
            if obj is None or not self.has_change_permission(request, obj):
                raise PermissionDenied
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except (ValueError, ValidationError):  # a primary key of the wrong type in the address
            raise Http404 from None

    def history_view(self, request, object_id, extra_context=None):
        if not hasattr(self.model._meta, "simple_history_manager_attribute"):
            raise Http404
        return super().history_view(request, object_id, extra_context)


class CityScopedAdmin(HistoryAdmin):
    """Base for every admin of city-scoped rows.

    Province administrators (superusers) see everything. A clerk sees only rows whose
    `city_field` is their city, may do only what `clerk_can` lists, picks related rows only
    from their city, and has their city filled in on new rows.
    """

    city_field = "city"
    clerk_can = ("view", "add", "change")

    def _is_clerk(self, request):
        return not request.user.is_superuser and clerk_city(request.user) is not None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        city = clerk_city(request.user)
        if city is None:
            return qs.none()
        return qs.filter(**{self.city_field: city})

    def _clerk_may(self, request, action, obj=None):
        if action not in self.clerk_can:
            return False
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        if self._is_clerk(request):
            return "view" in self.clerk_can
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if self._is_clerk(request):
            return self._clerk_may(request, "view", obj) or self._clerk_may(request, "change", obj)
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        if self._is_clerk(request):
            return "add" in self.clerk_can
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if self._is_clerk(request):
            return self._clerk_may(request, "change", obj)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._is_clerk(request):
            return self._clerk_may(request, "delete", obj)
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        city = clerk_city(request.user) if self._is_clerk(request) else None
        if city is not None:
            related = db_field.related_model
            if related._meta.label == "portal.City":
                kwargs["queryset"] = related.objects.filter(pk=city.pk)
            elif any(f.name == "city" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(city=city)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        city = clerk_city(request.user)
        if city is not None and self.city_field == "city":
            initial.setdefault("city", city.pk)
        return initial
