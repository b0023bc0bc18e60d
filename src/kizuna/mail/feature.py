"""The mail feature: the outbox, its delivery jobs, unsubscribe links and `kizuna mail`."""

from kizuna.registry import Command, Feature, NavEntry, Permission, ScheduleSpec

FEATURE = Feature(
    name="mail",
    package="kizuna.mail",
    pages=("kizuna.mail.pages:router", "kizuna.mail.admin_pages:router"),
    nav=(NavEntry("mail", "E-mail delivery", "admin/mail", "mail.manage", 50, "admin"),),
    commands=(
        Command("mail", "kizuna.mail.cli:app", "E-mail: send a test, see the outbox, retry."),
    ),
    jobs=("kizuna.mail.delivery",),
    schedules=(
        ScheduleSpec(
            "mail.release_held",
            "*/10 * * * *",
            "mail.release_held",
            description="Queue held e-mail again once an SMTP server is set.",
        ),
    ),
    permissions=(
        Permission(
            "mail.manage", ("owner", "admin"), "Send test e-mails, see and retry the outbox"
        ),
    ),
    models="kizuna.mail.models",
    templates=True,
    migrations=True,
)
