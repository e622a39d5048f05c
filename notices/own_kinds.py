"""The kinds notices itself sends: registry sweeps (inspection, scrapping, licence, points)
and answers to questions. Placeholders come from the sweep's context (services/sweeps.py)."""

from django.utils.translation import gettext_lazy as _

from notices import catalogue

INSPECTION_WINDOW = "notices.inspection_window"
INSPECTION_CLAIM_MARK = "notices.inspection_claim_mark"
INSPECTION_30D = "notices.inspection_30d"
INSPECTION_7D = "notices.inspection_7d"
INSPECTION_OVERDUE = "notices.inspection_overdue"
SCRAP_WARNING_1 = "notices.scrap_warning_1"
SCRAP_WARNING_2 = "notices.scrap_warning_2"
SCRAP_UPCOMING = "notices.scrap_upcoming"
SCRAP_DECISION = "notices.scrap_decision"
SCRAP_VOID = "notices.scrap_void"
LICENCE_WINDOW = "notices.licence_window"
LICENCE_EXPIRED = "notices.licence_expired"
LICENCE_CANCELLED = "notices.licence_cancelled"
POINTS_9 = "notices.points_9"
POINTS_12 = "notices.points_12"
MEDICAL_DUE = "notices.medical_due"
MEDICAL_OVERDUE = "notices.medical_overdue"
REVIEW_DUE = "notices.review_due"
REVIEW_OVERDUE = "notices.review_overdue"
QUESTION_ANSWERED = "notices.question_answered"
TRAVEL_PUBLISHED = "notices.travel_published"
TRAVEL_CHANGED = "notices.travel_changed"
UNIT_MONTHLY = "notices.unit_monthly"


def register_all():
    catalogue.register(
        INSPECTION_WINDOW,
        title=_("Inspection of {plate} can be done now"),
        body=_(
            "The inspection of vehicle {plate} is valid until {valid_until}. From today you may take it to an "
            "inspection station; settle any violations and accidents first, then collect the inspection mark."
        ),
    )
    catalogue.register(
        INSPECTION_CLAIM_MARK,
        title=_("Claim the inspection mark of {plate} online"),
        body=_(
            "The inspection of vehicle {plate} is valid until {valid_until}. This time your car needs no on-site "
            "test: apply for the inspection mark online with your compulsory insurance and vehicle tax certificates."
        ),
    )
    catalogue.register(
        INSPECTION_30D,
        title=_("Inspection of {plate} due in 30 days"),
        body=_("The inspection of vehicle {plate} expires on {valid_until}. Please have it inspected in time."),
    )
    catalogue.register(
        INSPECTION_7D,
        title=_("Inspection of {plate} due in 7 days"),
        body=_(
            "The inspection of vehicle {plate} expires on {valid_until}. Driving after that date is an offence "
            "(fine and points)."
        ),
    )
    catalogue.register(
        INSPECTION_OVERDUE,
        title=_("Inspection of {plate} is overdue"),
        body=_(
            "The inspection of vehicle {plate} expired on {valid_until}. Do not drive it on the road until it has "
            "passed inspection."
        ),
        mandatory=True,
    )
    catalogue.register(
        SCRAP_WARNING_1,
        title=_("{plate}: one inspection cycle missed"),
        body=_(
            "Vehicle {plate} has had no inspection mark for one full inspection cycle since {valid_until}. A vehicle "
            "that misses three consecutive cycles must be scrapped (on {scrap_date} for this vehicle)."
        ),
        mandatory=True,
    )
    catalogue.register(
        SCRAP_WARNING_2,
        title=_("{plate}: two inspection cycles missed"),
        body=_(
            "Vehicle {plate} has had no inspection mark for two consecutive inspection cycles. If it is not "
            "inspected before {scrap_date} it reaches the compulsory scrapping standard."
        ),
        mandatory=True,
    )
    catalogue.register(
        SCRAP_UPCOMING,
        title=_("{plate} reaches compulsory scrapping on {scrap_date}"),
        body=_(
            "Vehicle {plate} will reach the compulsory scrapping standard on {scrap_date} (three inspection cycles "
            "missed). Have it inspected before then, or deregister it at the vehicle administration office."
        ),
        mandatory=True,
    )
    catalogue.register(
        SCRAP_DECISION,
        title=_("{plate} must be scrapped"),
        body=_(
            "Vehicle {plate} has missed three consecutive inspection cycles and reached the compulsory scrapping "
            "standard on {scrap_date}. It may no longer be driven. Hand it to a scrapping company and deregister it "
            "by {void_date}; otherwise its plates, vehicle licence and registration certificate will be publicly "
            "declared void."
        ),
        mandatory=True,
        urgent=True,
    )
    catalogue.register(
        SCRAP_VOID,
        title=_("Plates and documents of {plate} declared void"),
        body=_(
            "Vehicle {plate} reached the compulsory scrapping standard on {scrap_date} and has not been deregistered. "
            "Its number plates, vehicle licence and registration certificate are hereby declared void."
        ),
        mandatory=True,
    )
    catalogue.register(
        LICENCE_WINDOW,
        title=_("Your {licence_class} driving licence can be renewed"),
        body=_(
            "Your driving licence expires on {valid_until}. You may renew it from today at any vehicle "
            "administration office or online; bring a medical certificate not older than 6 months."
        ),
    )
    catalogue.register(
        LICENCE_EXPIRED,
        title=_("Your driving licence has expired"),
        body=_(
            "Your {licence_class} driving licence expired on {valid_until}. Do not drive until it is renewed. "
            "If it is not renewed within one year after expiry it will be cancelled."
        ),
        mandatory=True,
    )
    catalogue.register(
        LICENCE_CANCELLED,
        title=_("Your driving licence is cancelled"),
        body=_(
            "Your {licence_class} driving licence expired on {valid_until} and was not renewed within one year; it is "
            "cancelled. Within two years you may restore it by passing the theory test (subject 1)."
        ),
        mandatory=True,
        urgent=True,
    )
    catalogue.register(
        POINTS_9,
        title=_("{points} points on your driving licence"),
        body=_(
            "Your driving licence has {points} points in the current scoring cycle (started {cycle_start}). At 12 "
            "points the licence is withheld and you must attend full-score education."
        ),
    )
    catalogue.register(
        POINTS_12,
        title=_("12 points reached: licence withheld"),
        body=_(
            "Your driving licence has reached {points} points in the scoring cycle that started {cycle_start}. "
            "Stop driving and attend full-score education and the theory test; if you do not within 30 days "
            "the licence is publicly suspended."
        ),
        mandatory=True,
        urgent=True,
    )
    # After each points cycle (docs/rules.md §6.2, R-DL arts 72, 74, 79): notices.sql.cycle_duties_due.
    catalogue.register(
        MEDICAL_DUE,
        title=_("Submit your yearly medical certificate by {due_by}"),
        body=_(
            "Your points cycle ended on {cycle_end}. Drivers aged 70 or more submit a medical certificate "
            "(身体条件证明) within 30 days after each cycle ends, by {due_by}. Have the exam at an authorised "
            "institution: it sends the certificate to us and you need not bring it."
        ),
        label=_("Yearly medical certificate (aged 70 or more)"),
    )
    catalogue.register(
        MEDICAL_OVERDUE,
        title=_("Your yearly medical certificate is overdue"),
        body=_(
            "No medical certificate examined after your points cycle ended on {cycle_end} has reached us; it was "
            "due by {due_by}. If none is submitted by {last_day}, your {licence_class} driving licence will be "
            "cancelled."
        ),
        mandatory=True,
        label=_("Overdue yearly medical certificate"),
    )
    catalogue.register(
        REVIEW_DUE,
        title=_("Your {licence_class} licence is due for review by {due_by}"),
        body=_(
            "Points were recorded on your {licence_class} driving licence in the cycle that ended on {cycle_end}. "
            "Holders of large bus, heavy trailer, city bus, medium bus and large truck licences attend the review "
            "(审验, with road-safety education) within 30 days after such a cycle ends, by {due_by}."
        ),
        label=_("Licence review (large classes)"),
    )
    catalogue.register(
        REVIEW_OVERDUE,
        title=_("The review of your {licence_class} licence is overdue"),
        body=_(
            "The review of your {licence_class} driving licence for the cycle that ended on {cycle_end} was due by "
            "{due_by}. Attend it at a vehicle administration office as soon as you can, with every violation "
            "and accident of yours settled first."
        ),
        mandatory=True,
        label=_("Overdue licence review"),
    )
    catalogue.register(
        QUESTION_ANSWERED,
        title=_("Your question has been answered"),
        body=_("The vehicle administration office has answered your question “{subject}”."),
        sms=False,
    )
    # Travel information (docs/rules.md §6.3): a subscriber's road or district.
    catalogue.register(
        TRAVEL_PUBLISHED,
        title=_("Travel notice: {road}, {district}"),
        body=_("{road} {section} ({district}): from {starts} to {ends}. Detour: {detour}"),
        label=_("Travel notices on roads and districts I follow"),
    )
    catalogue.register(
        TRAVEL_CHANGED,
        title=_("Travel notice changed: {road}, {district}"),
        body=_("Changed: {road} {section} ({district}) now from {starts} to {ends}. Detour: {detour}"),
        label=_("Changes to travel notices I follow"),
    )
    # Unit accounts (docs/rules.md §1.2).
    catalogue.register(
        UNIT_MONTHLY,
        title=_("{unit}: summary for {month}"),
        body=_(
            "{unit} has {vehicles} vehicles and {drivers} drivers on file. Inspection overdue: {inspection}; "
            "vehicles with unsettled violations: {violations}; licences expired or not normal: {licences}; "
            "drivers with 9 points or more: {points}. Details are on the unit's page."
        ),
        label=_("Monthly summary of my unit"),
    )
