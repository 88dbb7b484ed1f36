"""Staff roles: four groups, and who may publish.

viewer reads everything and changes nothing; editor adds and edits drafts; publisher also
publishes, unpublishes and edits published records; administrator may do everything, including
deleting (and purging). The groups are created by a data migration and kept in step after every
`migrate`, so permissions of models added later (history, purge) reach the right groups.
"""

from django.apps import apps as global_apps

VIEWER, EDITOR, PUBLISHER, ADMINISTRATOR = "viewer", "editor", "publisher", "administrator"
GROUPS = (VIEWER, EDITOR, PUBLISHER, ADMINISTRATOR)

PUBLISH_PERMISSION = "cases.publish_record"
# Accounts, sessions and sign-in devices are the administrator's alone, even to read.
SYSTEM_APPS = ("admin", "auth", "contenttypes", "sessions", "otp_totp", "otp_static")
# What editors may add and change (drafts only; the admin enforces the publication rule).
EDITABLE_APPS = ("cases",)


def can_publish(user) -> bool:
    return user.has_perm(PUBLISH_PERMISSION)


def sync_groups(apps=global_apps) -> None:
    """Create the four groups and give each exactly its permissions. Idempotent."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.select_related("content_type")
    view = [p for p in perms if p.codename.startswith("view_")]
    view = [p for p in view if p.content_type.app_label not in SYSTEM_APPS]
    edit = [
        p
        for p in perms
        if p.content_type.app_label in EDITABLE_APPS
        and p.codename.split("_", 1)[0] in ("add", "change")
        and not p.content_type.model.startswith("historical")
    ]
    publish = [
        p for p in perms if p.content_type.app_label == "cases" and p.codename == "publish_record"
    ]
    wanted = {
        VIEWER: view,
        EDITOR: view + edit,
        PUBLISHER: view + edit + publish,
        ADMINISTRATOR: list(perms),
    }
    for name, permissions in wanted.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def sync_groups_after_migrate(sender, **kwargs) -> None:
    # post_migrate is sent once per app; permissions of all apps exist only after the last one.
    with_models = [c for c in global_apps.get_app_configs() if c.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    sync_groups(kwargs.get("apps") or global_apps)
