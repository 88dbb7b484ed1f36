"""The one staff sign-in form: password, then a one-time code, throttled."""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .throttle import LoginThrottle


class StaffLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    """Username, password and a one-time code (an authenticator's six digits or a backup code).

    The code is required when settings.STAFF_REQUIRE_2FA is on (production); with it off a code,
    if given, is still checked. Every failure counts towards the login throttle.
    """

    otp_device = forms.CharField(required=False, widget=forms.Select)
    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_challenge = forms.CharField(required=False)

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-in attempts for this account or from this network. "
            "Sign-in is paused for a while; try again later."
        ),
    }

    def clean(self):
        throttle = LoginThrottle(self.request, self.data.get("username", ""))
        if throttle.is_locked():
            throttle.failed()
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            super().clean()
            if settings.STAFF_REQUIRE_2FA or self.cleaned_data.get("otp_token"):
                self.clean_otp(self.get_user())
        except ValidationError:
            throttle.failed()
            raise
        throttle.succeeded()
        return self.cleaned_data

    def _chosen_device(self, user):
        """The device the user picked, else the one their code's shape belongs to.

        Six digits are an authenticator (TOTP) code; anything else a backup (static) code. Only
        that one device is tried, so a wrong code never counts against the user's other devices.
        """
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        kind = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return next(
            (d for d in devices_for_user(user, confirmed=True) if isinstance(d, kind)), None
        )
