from django.urls import path, register_converter

from plates import views


class RowId:
    """A row id of at most 18 digits: it always fits PostgreSQL's bigint, so a longer number in
    the address is a 404 rather than an error in the hand-written statements it reaches."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(RowId, "rowid")

app_name = "plates"
urlpatterns = [
    path("", views.start, name="start"),
    path("blocks/", views.blocks, name="blocks"),
    path("s/<rowid:pk>/verify/", views.verify, name="verify"),
    path("s/<rowid:pk>/", views.selection, name="selection"),
    path("s/<rowid:pk>/draw/", views.draw, name="draw"),
    path("s/<rowid:pk>/backup/", views.backup, name="backup"),
    path("s/<rowid:pk>/compose/", views.compose, name="compose"),
    path("s/<rowid:pk>/find/", views.find, name="find"),
    path("s/<rowid:pk>/confirm/", views.confirm, name="confirm"),
    path("hold/<rowid:pk>/", views.hold, name="hold"),
    path("hold/<rowid:pk>/voucher.pdf", views.voucher_pdf, name="voucher_pdf"),
    path("hold/<rowid:pk>/abandon/", views.abandon, name="abandon"),
    path("hold/<rowid:pk>/invoice/", views.invoice, name="invoice"),
]
