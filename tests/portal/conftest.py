import pytest


@pytest.fixture
def count_redis_commands(monkeypatch):
    """count_redis_commands() -> a list that from then on gets the name of each Redis command this
    process sends (what this process sends: Redis's own statistics count other clients' too)."""
    import redis

    def start() -> list:
        commands = []
        original = redis.Redis.execute_command

        def counting(self, *args, **kwargs):
            commands.append(args[0])
            return original(self, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "execute_command", counting)
        return commands

    return start
