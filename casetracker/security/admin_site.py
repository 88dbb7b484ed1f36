from django.conf import settings
from django.contrib.admin import AdminSite

from .forms import StaffLoginForm


class StaffAdminSite(AdminSite):
    """Django's admin site whose login asks for a one-time code and whose pages need one.

    It replaces `admin.site` (see apps.StaffAdminConfig), so there is no second login form that
    could bypass the code. When settings.STAFF_REQUIRE_2FA is on, a session signed in without a
    code is not staff here, on top of the middleware's check on every staff request.
    """

    login_form = StaffLoginForm
    login_template = "otp/admin111/login.html"

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.STAFF_REQUIRE_2FA or request.user.is_verified()
