from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from portal import identity
from portal.models import User

# Personal data never copied into Redis (docs/rules.md §1): the cached user carries these as
# deferred fields, which Django loads from PostgreSQL on first use in a request.
UNCACHED_FIELDS = ("id_number", "mobile")


def find_user(login: str) -> User | None:
    """The account for a typed ID number or mobile (normalised: NFKC, spaces, lower-case x)."""
    login = identity.nfkc(login).strip()
    if not login:
        return None
    if identity.looks_like_id_number(login):
        return User.objects.filter(id_number_hash=identity.id_key(login)).first()
    return User.objects.filter(mobile=identity.normalize_mobile(login)).first()


class IdNumberOrMobileBackend(ModelBackend):
    """Log in with the resident ID number or the mobile number, plus the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = find_user(username)
        if user is None:
            # Spend the same time hashing so that timing does not reveal which accounts exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The session's user, from the cache when it is there.

        Every logged-in request loads its user; under a rush that query (and its compilation)
        is a good part of a cheap request. Any save or delete of the user drops the cached copy
        (forget_user), so a changed password, deactivation or new name is seen on the next
        request: Django still compares the session's hash with the cached password hash.
        With Redis down the cache answers a miss (portal.cache) and the user comes from the
        database.
        """
        user = cache.get(_user_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                remember_user(user)
        return user if user is not None and self.user_can_authenticate(user) else None


USER_CACHE_SECONDS = 300


def _user_key(user_id) -> str:
    return f"auth-user:v2:{user_id}"


def _cacheable_copy(user: User) -> User:
    names = [f.attname for f in User._meta.concrete_fields if f.attname not in UNCACHED_FIELDS]
    return User.from_db(user._state.db or "default", names, [getattr(user, name) for name in names])


def remember_user(user) -> None:
    """Cache a user who has just logged in (without ID number and mobile): their next page needs
    no query for them."""
    cache.set(_user_key(user.pk), _cacheable_copy(user), USER_CACHE_SECONDS)


def forget_user(sender, instance, **kwargs):
    key = _user_key(instance.pk)
    cache.delete(key)
    # Another request may cache the old row between this save and its commit.
    transaction.on_commit(lambda: cache.delete(key))
