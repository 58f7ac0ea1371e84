import asyncio

import pytest

from briefing import aio


class Costly:
    """A result that counts how often something formats it."""

    def __init__(self) -> None:
        self.formatted = 0

    def __repr__(self) -> str:
        self.formatted += 1
        return "Costly()"


async def produce(value: Costly) -> Costly:
    await asyncio.sleep(0)
    return value


def test_the_result_comes_back_and_is_never_formatted() -> None:
    value = Costly()
    assert aio.run(produce(value)) is value
    assert value.formatted == 0


def test_exceptions_pass_through() -> None:
    async def fail() -> None:
        raise ValueError("no feed")

    with pytest.raises(ValueError, match="no feed"):
        aio.run(fail())
