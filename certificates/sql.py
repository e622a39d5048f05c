"""Hand-written SQL for set-based work only: seeding a large queue for the benchmark (one
INSERT ... SELECT instead of 100,000 ORM saves and their history rows)."""

from django.db import connection, transaction

from certificates.models import Application
from portal import identity, idfields

_VEHICLE_ITEMS = ["plates", "vehicle_licence", "registration_cert", "inspection_mark"]


def seed_open_cases(*, city, applicant, count: int, tag: str) -> int:
    """Insert `count` cases under review in `city` (and the vehicles they are for: one per four
    cases, one case per vehicle item, so the one-open-case constraints hold). Returns how many."""
    vehicles = (count + len(_VEHICLE_ITEMS) - 1) // len(_VEHICLE_ITEMS)
    # One ciphertext for every row: each decrypts to the applicant's number (docs/rules.md §1).
    owner, key = idfields.encrypt_id(applicant.id_number), identity.id_key(applicant.id_number)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO portal_vehicle (city_id, vin, conformity_cert_number, plate_number, plate_type,
                                        owner_id_number, owner_id_number_hash, owner_name, kind, is_commercial, is_van, seats, brand,
                                        model_name, registered_on, inspection_valid_until, status, engine_number)
            SELECT %(city)s, %(tag)s || lpad(g::text, 9, '0'), '', NULL, '02', %(owner)s, %(key)s, 'bench',
                   'small_passenger', false, false, 5, '', '', DATE '2022-03-01', DATE '2028-03-31', 'normal', ''
              FROM generate_series(1, %(vehicles)s) g
            """,
            {"city": city.pk, "tag": tag[:8], "owner": owner, "key": key, "vehicles": vehicles},
        )
        cur.execute(
            f"""
            INSERT INTO {Application._meta.db_table}
                   (number, city_id, item, applicant_id, id_number, id_number_hash, vehicle_id, licence_id, kind, reason_text,
                    temporary_plate_days, medical_id, delivery, cash_on_delivery, recipient_name, recipient_phone,
                    address, postcode, fee, postage, takes_back_old, status, submitted_at, accepted_at, due_on,
                    decided_at, rejection_reason, returned_count, closed_at)
            SELECT 'B' || %(tag)s || lpad(n::text, 9, '0'), %(city)s, (%(items)s::text[])[1 + n %% 4], %(user)s,
                   %(owner)s, %(key)s, v.id, NULL, 'replace', '', 0, NULL, 'post', true, 'bench', '13900000000',
                   '江苏省淮安市清江浦区健康东路 1 号', '', 10, 20, false, 'under_review',
                   now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval,
                   (now() - (n || ' minutes')::interval)::date, NULL, '', 0, NULL
              FROM (SELECT v.id, row_number() OVER (ORDER BY v.id) - 1 AS r
                      FROM portal_vehicle v WHERE v.vin LIKE %(like)s) v
              JOIN LATERAL generate_series(v.r * 4, v.r * 4 + 3) n ON n < %(count)s
            """,
            {
                "tag": tag[:8],
                "city": city.pk,
                "items": _VEHICLE_ITEMS,
                "user": applicant.pk,
                "owner": owner,
                "key": key,
                "like": tag[:8] + "%",
                "count": count,
            },
        )
        inserted = cur.rowcount
        cur.execute(f"ANALYZE {Application._meta.db_table}")
    return inserted
