"""The accounts feature: workspaces, users, invitations, roles, API keys and the audit log."""

from kizuna.registry import Command, Feature, NavEntry, Permission

ALL = ("owner", "admin", "analyst", "agent", "viewer")
ADMINS = ("owner", "admin")

FEATURE = Feature(
    name="accounts",
    package="kizuna.accounts",
    api=("kizuna.accounts.api:router",),
    pages=("kizuna.accounts.pages:router", "kizuna.accounts.admin_pages:router"),
    nav=(
        NavEntry("members", "Members", "admin/members", "members.manage", 10, "admin"),
        NavEntry("apikeys", "API keys", "admin/apikeys", "apikeys.manage", 20, "admin"),
        NavEntry("audit", "Audit log", "admin/audit", "audit.read", 30, "admin"),
    ),
    commands=(
        Command(
            "init",
            "kizuna.accounts.cli:init_command",
            "Create a workspace, its owner and an API key.",
        ),
        Command("workspaces", "kizuna.accounts.cli:workspaces_command", "List workspaces."),
        Command("apikey", "kizuna.accounts.cli:apikey_app", "API keys: create, list, revoke."),
        Command(
            "users", "kizuna.accounts.cli:users_app", "Members: invite, list, change role, remove."
        ),
        Command("audit", "kizuna.accounts.cli:audit_command", "Show the audit log of a workspace."),
    ),
    permissions=(
        Permission("workspace.read", ALL, "See the workspace and its settings"),
        Permission("members.manage", ADMINS, "Invite people, change roles, remove members"),
        Permission("apikeys.manage", ADMINS, "Create and revoke API keys"),
        Permission("audit.read", ADMINS, "Read the audit log"),
    ),
    models="kizuna.accounts.models",
    templates=True,
    migrations=True,
)
