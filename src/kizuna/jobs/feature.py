"""The jobs feature: the job queue, schedules and events, its worker and its admin page."""

from kizuna.registry import Command, Feature, NavEntry, Permission

ADMINS = ("owner", "admin")

FEATURE = Feature(
    name="jobs",
    package="kizuna.jobs",
    pages=("kizuna.jobs.pages:router",),
    nav=(NavEntry("jobs", "Jobs", "admin/jobs", "jobs.read", 40, "admin"),),
    commands=(
        Command("worker", "kizuna.jobs.cli:worker_command", "Run a job worker until Ctrl+C."),
        Command(
            "jobs", "kizuna.jobs.cli:jobs_app", "Job queue: counts, failures, schedules, retry."
        ),
    ),
    jobs=("kizuna.jobs.events",),
    permissions=(
        Permission("jobs.read", ADMINS, "See the job queue, schedules and failures"),
        Permission("jobs.manage", ADMINS, "Retry failed and dead jobs, switch schedules"),
    ),
    models="kizuna.jobs.models",
    templates=True,
    migrations=True,
)
