from tests.sync.harness import world_factory  # noqa: F401  (fixture)
