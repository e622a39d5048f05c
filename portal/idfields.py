"""Model fields for national ID numbers: encrypted at rest, found by a keyed hash.

PIPL art 28 makes ID numbers sensitive personal information (docs/rules.md §1). Each column
that holds one is an IdNumberField (Fernet from `cryptography`, through
django-encrypted-model-fields; key settings.FIELD_ENCRYPTION_KEY, from ID_ENCRYPTION_KEY) with
an IdHashField beside it holding identity.id_key(), the HMAC-SHA256 of the normalised number
under a separate key (settings.ID_HASH_KEY). Ciphertext is randomised, so equality, uniqueness
and indexes live on the hash column; a query on the encrypted column itself is refused loudly
rather than silently matching nothing.
"""

from cryptography.fernet import InvalidToken
from django.core.exceptions import FieldError
from django.db import models
from encrypted_model_fields.fields import EncryptedCharField, decrypt_str, encrypt_str

from portal import identity


class IdNumberField(EncryptedCharField):
    """The ID number itself (plain in Python, Fernet ciphertext in the database)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted: filter on {self.name}_hash=identity.id_key(...) instead."
        )

    def get_transform(self, lookup_name):
        return None


class EncryptedOutboxText(EncryptedCharField):
    """An outgoing SMS text waiting in the outbox (it holds a verification code): encrypted like
    an ID number, so neither the table nor a DEBUG log of its SQL shows the code. An empty text
    stays empty in the database, so "nothing left to send" remains a plain `text = ''` test."""

    def get_db_prep_save(self, value, connection):
        if value == "":
            return ""
        return super().get_db_prep_save(value, connection)


class IdHashField(models.CharField):
    """identity.id_key() of the ID number in `source`, recomputed on every save (and bulk_create),
    so it can never drift from the encrypted value beside it."""

    def __init__(self, *args, source: str = "id_number", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("editable", False), ("default", "")):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = identity.id_key(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


class BirthDateField(models.DateField):
    """The birth date inside the ID number in `source` (GB 11643 digits 7-14), recomputed on every
    save (and bulk_create) like IdHashField. The number itself is ciphertext in the database, so a
    set-based sweep that counts a holder's age (docs/rules.md §6.2: the 70+ medical) reads this
    column; None when the number holds no real date."""

    def __init__(self, *args, source: str = "id_number", **kwargs):
        self.source = source
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in ("null", "blank", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = born_on(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def born_on(id_number: str):
    """The birth date of an 18-digit ID number, or None."""
    try:
        return identity.birth_date(identity.normalize_id_number(id_number))
    except (ValueError, IndexError):
        return None


def _rewrite(model, fields: list[str], connection, convert) -> None:
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    columns = [qn(model._meta.get_field(n).column) for n in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {', '.join(columns)} FROM {table}")
        rows = cursor.fetchall()
        updates = []
        for pk_value, *values in rows:
            new = []
            for value in values:
                new.extend(convert(value))
            updates.append([*new, pk_value])
        if not updates:
            return
        width = len(updates[0]) - 1
        if width == len(fields) * 2:
            targets = [c for n, col in zip(fields, columns, strict=True) for c in (col, qn(f"{n}_hash"))]
        else:
            targets = columns
        sets = ", ".join(f"{c} = %s" for c in targets)
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", updates)


def _plain(value) -> str:
    if not value:
        return ""
    try:
        return decrypt_str(value)
    except InvalidToken:
        return value  # not yet encrypted


def encrypt_rows(model, fields: list[str], connection) -> None:
    """Migration helper: rewrite plain ID numbers as ciphertext and fill their hash columns.

    A value that is already a Fernet token is decrypted first, so running it twice is harmless."""

    def convert(value):
        plain = identity.normalize_id_number(_plain(value))
        return [encrypt_str(plain).decode(), identity.id_key(plain)]

    _rewrite(model, fields, connection, convert)


def decrypt_rows(model, fields: list[str], connection) -> None:
    """Reverse of encrypt_rows: write the plain numbers back (the reversed AlterField then narrows
    the columns to varchar(18) again)."""
    _rewrite(model, fields, connection, lambda value: [_plain(value)])


def encrypt_id(id_number: str) -> str:
    """The stored form of an ID number, for the few hand-written INSERTs (the app's sql.py or a
    rush path) that bypass the model field: they write this and identity.id_key() beside it."""
    return encrypt_str(identity.normalize_id_number(id_number)).decode()


def from_row(model, attnames: list[str], row, db: str = "default"):
    """Model.from_db for a hand-written SELECT, with ID numbers decrypted: from_db takes values
    as they are, while the ORM runs each field's from_db_value first."""
    values = list(row)
    for i, name in enumerate(attnames):
        field = model._meta.get_field(name)
        if isinstance(field, IdNumberField) and values[i] is not None:
            values[i] = field.from_db_value(values[i], None, None)
    return model.from_db(db, attnames, values)
