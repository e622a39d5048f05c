from django.urls import path, re_path

from violations import views, views_accident

app_name = "violations"
# Row ids in URLs are at most 18 digits: a longer one is a 404, never a database error.
ID = r"(?P<pk>[0-9]{1,18})"
NUMBER = r"(?P<number>[0-9]{1,32})"
urlpatterns = [
    path("", views.start, name="start"),
    path("handle/", views.handle, name="handle"),
    re_path(rf"^decision/{NUMBER}/$", views.decision, name="decision"),
    re_path(rf"^decision/{NUMBER}/pdf/$", views.decision_pdf, name="decision_pdf"),
    re_path(rf"^decision/{NUMBER}/pay/$", views.pay, name="pay"),
    path("bindings/", views.bindings, name="bindings"),
    re_path(rf"^bindings/{ID}/approve/$", views.binding_approve, name="binding_approve"),
    re_path(rf"^bindings/{ID}/revoke/$", views.binding_revoke, name="binding_revoke"),
    re_path(rf"^record/{ID}/objection/$", views.objection, name="objection"),
    path("photo/<uuid:token>/", views.objection_photo, name="objection_photo"),
    path("study/", views.study, name="study"),
    path("study/heartbeat/", views.study_heartbeat, name="study_heartbeat"),
]

# Accident quick settlement (docs/architecture.md "Accident quick settlement").
urlpatterns += [
    path("accidents/", views_accident.accident_list, name="accident_list"),
    path("accidents/new/", views_accident.accident_start, name="accident_start"),
    path("accidents/join/", views_accident.accident_join, name="accident_join"),
    re_path(rf"^accidents/{ID}/$", views_accident.accident_case, name="accident_case"),
    re_path(rf"^accidents/{ID}/document/$", views_accident.accident_document, name="accident_document"),
    re_path(rf"^accidents/{ID}/document/pdf/$", views_accident.accident_document_pdf, name="accident_document_pdf"),
    path("accidents/photo/<uuid:token>/", views_accident.accident_photo, name="accident_photo"),
]
