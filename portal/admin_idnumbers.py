"""ID numbers on clerk pages: masked, revealed one at a time on request (audited), searched by POST.

docs/rules.md §1 (PIPL art 28). Every admin derives from portal.admin_helpers.HistoryAdmin,
which mixes this in, so every model with an encrypted ID number (portal.idfields.IdNumberField)
gets the same treatment without declaring anything:

- change lists, change forms, read-only views, history pages and history diffs show
  identity.mask_id_number(); an editable ID number renders as an empty box with the masked
  number as placeholder (left empty, the stored number is kept);
- a "reveal" button (POST, CSRF-protected, never cached) shows the full number once, to a clerk
  who may view that record in their city, and writes an admin LogEntry (who, which record,
  which field, when): the audit trail of who saw which number;
- the change list's search box POSTs (admin/search_form.html); an ID number typed there becomes
  the keyed hash `idk=<identity.id_key()>` in the address, anything else the usual `q=`, so no
  ID number reaches an access log. Searching filters the *_hash columns.

Mobiles are personal data too (docs/rules.md §1): where a change list searches a mobile column
(`=mobile` in search_fields, also on admins without ID numbers, which mix this in themselves),
its box POSTs the same way, and a typed mobile goes into the address encrypted (Fernet under the
ID-number key, randomised: `sq=<token>`). The column holds the mobile in clear (logins look it
up), so there is no hash to search by; the session would put it in Redis.
"""

from urllib.parse import urlencode

from cryptography.fernet import InvalidToken
from django import forms
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from encrypted_model_fields.fields import decrypt_str, encrypt_str
from simple_history.template_utils import HistoricalRecordContextHelper

from portal import identity
from portal.idfields import IdHashField, IdNumberField

ID_KEY_PARAM = "idk"  # the keyed hash of a searched ID number, in change list addresses
SEARCH_TOKEN_PARAM = "sq"  # a searched mobile, encrypted, in change list addresses
_PERSONAL_PARAMS = ("q", ID_KEY_PARAM, SEARCH_TOKEN_PARAM, "p")


def id_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, IdNumberField)]


class _IdKeyChangeList(ChangeList):
    """A change list that keeps `idk` in its links (paging, sorting, filters) but does not take it
    for a field look-up; ModelAdmin.get_search_results applies it."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(ID_KEY_PARAM, None)
        lookup_params.pop(SEARCH_TOKEN_PARAM, None)
        return lookup_params

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        model_admin = self.model_admin
        url = reverse(f"{model_admin.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_id_search")
        keep = {k: v for k, v in self.params.items() if k not in _PERSONAL_PARAMS}
        self.id_search_action = f"{url}?{urlencode(keep)}" if keep else url
        self.id_search_csrf = get_token(request)
        self.id_search_by_key = bool(request.GET.get(ID_KEY_PARAM))
        self.mobile_search_by_token = bool(request.GET.get(SEARCH_TOKEN_PARAM))
        self.id_number_search = model_admin.personal_search
        self.searches_id_numbers = bool(model_admin.id_number_fields)
        self.searches_mobiles = bool(model_admin.mobile_search_fields)


class _KeepIdNumberField(forms.CharField):
    """An ID number box on a change form: empty (the masked number as placeholder) unless the
    clerk types a new number; left empty, the stored number is kept."""

    def __init__(self, *, original, current, reveal):
        self.original, self.current = original, current or ""
        super().__init__(
            label=original.label,
            required=False,
            help_text=_("Shown masked. Leave empty to keep it, or type a new number to replace it."),
            widget=_MaskedIdInput(current=self.current, reveal=reveal),
        )

    def clean(self, value):
        if not (value or "").strip():
            return self.current
        return self.original.clean(value)


class _MaskedIdInput(forms.TextInput):
    def __init__(self, *, current, reveal):
        self.current, self.reveal = current, reveal
        super().__init__(
            attrs={"placeholder": identity.mask_id_number(current), "autocomplete": "off", "spellcheck": "false"}
        )

    def format_value(self, value):
        # What a clerk typed comes back after an error; the stored number never does.
        return None if not value or value == self.current else super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("{}{}", super().render(name, value, attrs, renderer), self.reveal)


class _MaskingContextHelper(HistoricalRecordContextHelper):
    """History diffs ("changes" on the history page) show ID numbers masked too."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, IdNumberField):
            return identity.mask_id_number(value or "")
        if isinstance(field, IdHashField):
            return "…"
        return super().prepare_delta_change_value(change, value)


class _Revealed:
    """The number on the reveal page. Its repr is masked: django.template logs a page's whole
    context at DEBUG when a variable is missing (the admin's base template has optional ones), and
    that log must not carry the number (tests/portal/test_id_number_leaks.py)."""

    def __init__(self, value: str):
        self.value = value

    def __str__(self):
        return self.value

    def __repr__(self):
        return repr(identity.mask_id_number(self.value))


def _looks_like_mobile(term: str) -> bool:
    mobile = identity.normalize_mobile(term)
    return len(mobile) == 11 and mobile.isdigit() and mobile.startswith("1")


def _search_token(mobile: str) -> str:
    return encrypt_str(mobile).decode("ascii")


def _searched_mobile(token: str) -> str | None:
    try:
        return decrypt_str(token[:500])
    except (InvalidToken, TypeError, ValueError):
        return None


class IdNumberAdminMixin:
    """See the module docstring. Mixed into HistoryAdmin (portal.admin_helpers)."""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.id_number_fields = id_fields(model)
        self.mobile_search_fields = [f.lstrip("=^@") for f in self.search_fields if "mobile" in f]
        self.personal_search = bool(self.id_number_fields or self.mobile_search_fields)
        for name in self.id_number_fields:
            setattr(self, f"{name}_masked", self._masked_display(name))

    def _masked_display(self, name):
        field = self.model._meta.get_field(name)

        def display(obj):
            return format_html(
                "{} {}", identity.mask_id_number(getattr(obj, name, "") or ""), self._reveal_button(obj, name)
            )

        display.short_description = field.verbose_name
        return display

    def _reveal_button(self, obj, name):
        pk = getattr(obj, "pk", None)
        if pk is None:
            return ""
        url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_reveal_id", args=[quote(pk)]
        )
        # A submit button of the change form (which carries the CSRF token), posting to the
        # reveal view instead: no script (the CSP forbids inline script), nothing in the address
        # but the field's name.
        return format_html(
            '<button type="submit" class="button" formaction="{}?{}" formmethod="post" formnovalidate>{}</button>',
            url,
            urlencode({"field": name}),
            gettext("Reveal"),
        )

    # --- pages --------------------------------------------------------------------------------
    def get_urls(self):
        if not self.personal_search:
            return super().get_urls()
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        urls = [path("search/", wrap(self.id_search_view), name=f"{prefix}_id_search")]
        if self.id_number_fields:
            urls.append(path("<path:object_id>/reveal-id/", wrap(self.reveal_id_view), name=f"{prefix}_reveal_id"))
        return [*urls, *super().get_urls()]

    def get_changelist(self, request, **kwargs):
        return _IdKeyChangeList if self.personal_search else super().get_changelist(request, **kwargs)

    @method_decorator(require_POST)
    def id_search_view(self, request):
        """The change list's search box: an ID number becomes its keyed hash in the address."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        term = identity.nfkc(request.POST.get("q", "")).strip()[:200]
        keep = {k: v for k, v in request.GET.items() if k not in _PERSONAL_PARAMS}
        if self.id_number_fields and identity.looks_like_id_number(term):
            keep[ID_KEY_PARAM] = identity.id_key(term)
        elif self.mobile_search_fields and _looks_like_mobile(term):
            keep[SEARCH_TOKEN_PARAM] = _search_token(identity.normalize_mobile(term))
        elif term:
            keep["q"] = term
        url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{url}?{urlencode(keep)}" if keep else url)

    @method_decorator(require_POST)
    @method_decorator(never_cache)
    def reveal_id_view(self, request, object_id):
        """Show one record's full ID number once, and record that this clerk saw it."""
        name = request.GET.get("field", "")
        if name not in self.id_number_fields:
            raise Http404
        obj = self.get_object(request, unquote(object_id))  # scoped: another city's record is None
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        field = self.model._meta.get_field(name)
        # The admin's own audit log (django.contrib.admin LogEntry, shown on the record's
        # history page and in "recent actions"): user, record, time, and which number was shown.
        self.log_change(request, obj, f"Revealed the {field.name} ({field.verbose_name}) on a clerk page.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": obj,
            "label": field.verbose_name,
            "value": _Revealed(getattr(obj, name) or ""),
            "title": gettext("ID number of %(object)s") % {"object": obj},
            "back": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
            ),
        }
        response = TemplateResponse(request, "admin/portal/reveal_id.html", context)
        response["Referrer-Policy"] = "no-referrer"
        return response

    # --- change list search -------------------------------------------------------------------
    def get_search_fields(self, request):
        # An encrypted column cannot be matched: ID numbers are searched by their hash below.
        fields = super().get_search_fields(request)
        return [f for f in fields if f.lstrip("=^@") not in self.id_number_fields]

    def get_search_results(self, request, queryset, search_term):
        token = request.GET.get(SEARCH_TOKEN_PARAM, "") if self.mobile_search_fields else ""
        if token:
            mobile = _searched_mobile(token)
            if mobile is None:  # a token that is not ours, or was cut
                return queryset.none(), False
            q = Q()
            for name in self.mobile_search_fields:
                q |= Q(**{name: mobile})
            return queryset.filter(q), False
        key = request.GET.get(ID_KEY_PARAM, "") if self.id_number_fields else ""
        term = identity.nfkc(search_term).strip()
        if not key and self.id_number_fields and identity.looks_like_id_number(term):
            key = identity.id_key(term)  # typed into a GET form of an older page: still found
        if key:
            q = Q()
            for name in self.id_number_fields:
                q |= Q(**{f"{name}_hash": key})
            return queryset.filter(q), False
        return super().get_search_results(request, queryset, search_term)

    # --- change forms -------------------------------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        names = [n for n in self.id_number_fields if n in form_class.base_fields]
        if obj is None or not names:
            return form_class
        admin = self

        class MaskedIdForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                for name in names:
                    if name in self.fields:
                        self.fields[name] = _KeepIdNumberField(
                            original=self.fields[name],
                            current=getattr(self.instance, name, ""),
                            reveal=admin._reveal_button(self.instance, name),
                        )

        MaskedIdForm.__name__ = form_class.__name__
        return MaskedIdForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.id_number_fields:
            return fieldsets
        editable = self.has_change_permission(request, obj)
        readonly = set(super().get_readonly_fields(request, obj))
        shown = {n for n in self.id_number_fields if editable and n not in readonly}  # as a masked box
        seen = set()

        def swap(names):
            out = []
            for name in names:
                if isinstance(name, (list, tuple)):
                    out.append(tuple(swap(name)))
                    continue
                if isinstance(name, str):
                    if name in self.id_number_fields and name not in shown:
                        name = f"{name}_masked"  # read-only: shown through the masking display
                    elif name.endswith("_masked") and name[: -len("_masked")] in shown:
                        continue
                if name in seen:
                    continue
                seen.add(name)
                out.append(name)
            return out

        return [(title, {**opts, "fields": swap(opts["fields"])}) for title, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        # The masked displays are read-only "fields" (so a form never asks the model for them);
        # get_fieldsets decides which of an ID number's two forms a page shows.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        return fields + [f"{n}_masked" for n in self.id_number_fields if f"{n}_masked" not in fields]

    def get_historical_record_context_helper(self, request, historical_record):
        return _MaskingContextHelper(self.model, historical_record)
