from django.contrib.auth.backends import ModelBackend

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
