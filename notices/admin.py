from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notices import segments, selectors, services
from notices.models import Announcement, Article, Delivery, Notice, Question, TravelAdvisory
from portal.admin_helpers import CityScopedAdmin


@admin.register(Announcement)
class AnnouncementAdmin(CityScopedAdmin):
    list_display = ["__str__", "city", "published", "published_at", "automatic"]
    list_filter = ["published", "kind"]
    search_fields = ["title_text"]
    fields = ["city", "title_text", "body_text", "published", "published_at", "kind", "context"]
    readonly_fields = ["kind", "context"]
    list_select_related = ["city"]

    @admin.display(boolean=True, description=_("posted automatically"))
    def automatic(self, obj):
        return bool(obj.kind)


@admin.register(TravelAdvisory)
class TravelAdvisoryAdmin(CityScopedAdmin):
    """A city's traffic controls, road works and closures (docs/rules.md §6.3). Saving goes
    through services.advisory_save, which notifies the road's and district's subscribers."""

    list_display = ["road", "district", "kind", "starts_at", "ends_at", "published", "revision", "city"]
    list_filter = ["kind", "published"]
    search_fields = ["road", "district"]
    fields = [
        "city",
        "kind",
        "district",
        "road",
        "section",
        "starts_at",
        "ends_at",
        "detour",
        "description",
        "published",
    ]
    list_select_related = ["city"]

    def save_model(self, request, obj, form, change):
        # The form's clean() below refuses what advisory_save would (an end before the start, a
        # name that is empty once normalised), so this does not fail after validation.
        count = services.advisory_save(obj, by=request.user, changed_fields=form.changed_data if change else None)
        if count:
            self.message_user(request, _("%(n)d subscribers were notified.") % {"n": count})

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(self):
            cleaned = original_clean(self)
            starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
            if starts and ends and ends <= starts:
                self.add_error("ends_at", _("The end must be after the start."))
            for name in ("road", "district"):
                if name in cleaned and not services.place_key(cleaned[name]):
                    self.add_error(name, _("Give the road and the district or area."))
            return cleaned

        form.clean = clean
        return form


@admin.register(Article)
class ArticleAdmin(CityScopedAdmin):
    list_display = ["title", "city", "published", "published_at"]
    list_filter = ["published"]
    search_fields = ["title"]
    fields = ["city", "title", "summary", "body", "published", "published_at"]
    list_select_related = ["city"]


@admin.register(Question)
class QuestionAdmin(CityScopedAdmin):
    """Clerks answer their city's questions; saving goes through services.question_answer."""

    clerk_can = ("view", "change")
    list_display = ["subject", "city", "asked_at", "answered_at", "published"]
    list_filter = ["published", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject"]
    fields = [
        "city",
        "asker_masked",
        "asked_at",
        "subject",
        "question_text",
        "public_body",
        "answer",
        "published",
        "answered_at",
        "answered_by",
    ]
    readonly_fields = ["city", "asker_masked", "asked_at", "subject", "question_text", "answered_at", "answered_by"]
    list_select_related = ["city"]

    def has_add_permission(self, request, *args):
        return False  # citizens ask on the city site

    @admin.display(description=_("asked by"))
    def asker_masked(self, obj):
        return f"{obj.asker.real_name[:1]}** ({obj.asker.masked_id_number})"

    @admin.display(description=_("question"))
    def question_text(self, obj):
        # ID and mobile numbers a citizen typed are masked here too (personal data is masked on every page).
        return selectors.scrub_personal_data(obj.body)

    def save_model(self, request, obj, form, change):
        services.question_answer(
            question=obj,
            clerk=request.user,
            answer=form.cleaned_data.get("answer", ""),
            published=form.cleaned_data.get("published", False),
            public_body=form.cleaned_data.get("public_body", ""),
        )


class _ReadOnlyScopedAdmin(CityScopedAdmin):
    """Notices and deliveries are written by services only; clerks and admins look."""

    clerk_can = ("view",)
    # Newest first by primary key: an index scan, where sorting millions of rows by date is not.
    ordering = ["-id"]
    # These models keep no simple-history records: use Django's plain templates.
    object_history_template = None
    change_form_template = None
    history_view = admin.ModelAdmin.history_view
    show_full_result_count = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "status", "attempts", "next_attempt_at", "sent_at", "receipt_at", "message_id", "sms_segments"]
    readonly_fields = fields

    @admin.display(description=_("SMS parts"))
    def sms_segments(self, obj):
        return segments.segments(obj.text) if obj.channel == Delivery.Channel.SMS and obj.text else "–"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(_ReadOnlyScopedAdmin):
    list_display = ["title", "kind", "masked_id_number", "city", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["city"]
    fields = [
        "kind",
        "masked_id_number",
        "city",
        "title",
        "body",
        "sms_preview",
        "sms_length",
        "created_at",
        "read_at",
        "dispatched_at",
        "dedupe_key",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline]

    @admin.display(description=_("SMS text"))
    def sms_preview(self, obj):
        return services.delivery.sms_text(obj)

    @admin.display(description=_("SMS length"))
    def sms_length(self, obj):
        text = services.delivery.sms_text(obj)
        return _("%(chars)s characters, %(encoding)s, %(parts)s part(s)") % {
            "chars": segments.length_units(text),
            "encoding": segments.encoding(text),
            "parts": segments.segments(text),
        }


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnlyScopedAdmin):
    city_field = "notice__city"
    list_display = ["notice", "channel", "status", "attempts", "next_attempt_at", "sent_at", "sms_segments"]
    list_filter = ["channel", "status"]
    list_select_related = ["notice"]
    fields = [
        "notice",
        "channel",
        "status",
        "urgent",
        "attempts",
        "next_attempt_at",
        "text",
        "sms_segments",
        "message_id",
        "last_error",
        "created_at",
        "sent_at",
        "receipt_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("SMS parts"))
    def sms_segments(self, obj):
        if obj.channel != Delivery.Channel.SMS:
            return "–"
        return segments.segments(obj.text or services.delivery.sms_text(obj.notice))
