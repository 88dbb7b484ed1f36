"""Set up a staff member's second factor: an authenticator app (TOTP) and single-use backup codes.

    manage.py create_admin_device <username> [--qr] [--codes 10] [--replace]

Prints the otpauth:// address to scan or type into the authenticator app (and, with --qr, a QR
code drawn in the terminal), then the backup codes, each usable once. Run it for the first
administrator right after `createsuperuser`; the output is the only copy of the codes.
"""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR = "authenticator"
BACKUP_CODES = "backup codes"


class Command(BaseCommand):
    help = "Create a staff member's authenticator (TOTP) device and single-use backup codes."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--codes", type=int, default=10, help="How many backup codes.")
        parser.add_argument("--qr", action="store_true", help="Also draw a QR code.")
        parser.add_argument(
            "--replace", action="store_true", help="Replace the user's existing devices."
        )

    @transaction.atomic
    def handle(self, *args, username: str, codes: int, qr: bool, replace: bool, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist as error:
            raise CommandError(
                f"No user {username!r}; create it first (createsuperuser)."
            ) from error
        existing = TOTPDevice.objects.filter(user=user, name=AUTHENTICATOR)
        if existing.exists() and not replace:
            raise CommandError(f"{username} already has an authenticator; use --replace.")
        existing.delete()
        StaticDevice.objects.filter(user=user, name=BACKUP_CODES).delete()

        totp = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=True)
        static = StaticDevice.objects.create(user=user, name=BACKUP_CODES, confirmed=True)
        tokens = [StaticToken.random_token() for _ in range(codes)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=t) for t in tokens)

        self.stdout.write("Add this to the authenticator app (scan or type it):")
        self.stdout.write(totp.config_url)
        if qr:
            code = qrcode.QRCode(border=1)
            code.add_data(totp.config_url)
            drawing = io.StringIO()
            code.print_ascii(out=drawing, invert=True)
            self.stdout.write(drawing.getvalue())
        self.stdout.write("Backup codes, each usable once; keep them somewhere safe:")
        for token in tokens:
            self.stdout.write(f"  {token}")
