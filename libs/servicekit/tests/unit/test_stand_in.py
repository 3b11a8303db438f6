"""`servicekit.stand_in` relies on two names of secantus: fail loudly if they change."""

from __future__ import annotations

import inspect

from secantus import cli, server


def test_the_stand_in_launcher_still_fits_secantus() -> None:
    assert cli.SecantusDBServer is server.SecantusDBServer or callable(cli.SecantusDBServer)
    assert "ttl_sweep_seconds" in inspect.signature(server.SecantusDBServer).parameters
    assert list(inspect.signature(cli.main).parameters) == ["argv"]
