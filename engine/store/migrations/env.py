"""Alembic environment: the engine comes from `engine.store.migrate.alembic_config`."""

from alembic import context

from engine.store.registry import target_metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
