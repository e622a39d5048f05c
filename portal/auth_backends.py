from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from portal import identity
from portal.models import User


class IdNumberOrMobileBackend(ModelBackend):
    """Log in with the resident ID number or the mobile number, plus the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = username.strip()
        if len(login) == 18:
            user = User.objects.filter(id_number=identity.id_key(login)).first()
        else:
            user = User.objects.filter(mobile=identity.normalize_mobile(login)).first()
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
        """
        user = cache.get(_user_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                remember_user(user)
        return user if user is not None and self.user_can_authenticate(user) else None


USER_CACHE_SECONDS = 300


def _user_key(user_id) -> str:
    return f"auth-user:v1:{user_id}"


def remember_user(user) -> None:
    """Cache a user who has just logged in: their next page needs no query for them."""
    cache.set(_user_key(user.pk), user, USER_CACHE_SECONDS)


def forget_user(sender, instance, **kwargs):
    key = _user_key(instance.pk)
    cache.delete(key)
    # Another request may cache the old row between this save and its commit.
    transaction.on_commit(lambda: cache.delete(key))
