"""One engineer's mailbox of a team, for the commands that read or note something in the
database (``cases``, ``case N`` and its ``mark``, ``plan``, ``status`` with
``--mailbox``): the engineer's settings, on the team database scoped to their schema,
without reaching the mailbox."""

from __future__ import annotations

from mailbot.app import App, build
from mailbot.config import ConfigError
from mailbot.team.config import load_team
from mailbot.team.tenancy import prepare_mailbox, schema_for, scoped, shared_engine


def mailbox_app(team_path: str, engineer_id: str) -> App:
    team = load_team(team_path)
    settings = team.engineers.get(engineer_id)
    if settings is None:
        known = ", ".join(team.engineers)
        raise ConfigError(
            team.source, "engineers", f"no mailbox {engineer_id!r} in the team (known: {known})"
        )
    engine = shared_engine(team.database_url, pool_size=1)
    schema = schema_for(engineer_id)
    prepare_mailbox(engine, schema)
    return build(settings, migrate=False, connect=False, engine=scoped(engine, schema))
