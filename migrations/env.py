"""Alembic environment: runs against the engine the app (or a test) hands over."""

from alembic import context

from app.models import Base
import app.oidc.models  # noqa: F401  (the OpenID Provider's tables live beside app/models.py)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic upgrade head`: use the GATEHOUSE_* settings
        from app.config import load_settings
        from app.database import make_engine

        engine = make_engine(load_settings()["GATEHOUSE_DATABASE_URL"])
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `gatehouse db upgrade`")
run_migrations_online()
