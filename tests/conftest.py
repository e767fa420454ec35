"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def sb3_logs_in_pytest_temp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point SB3's default log folder into pytest's temporary tree.

    The client tests call ``learn()`` as a user does. Without a logger of the model's own, SB3
    then creates a ``SB3-<date>`` folder in the system's temporary directory on every call, and
    the test run would leave hundreds of them behind."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3-logs")))
        yield
