"""The planning page: add, move and close stations on the map, with exact updates.

``coverage15 plan CONFIG`` computes the run once, then serves a page on 127.0.0.1
where each edit is one exact what-if update (:mod:`coverage.whatif`):
:mod:`.session` holds the scenarios (pure functions over immutable results),
:mod:`.view` what the page draws of them, :mod:`.page` the page itself and
:mod:`.server` the local HTTP server.
"""

from .session import (
    Scenario,
    Session,
    UnitChange,
    close_station,
    move_station,
    open_station,
    rename_scenario,
    start_session,
    station_table,
    undo_edit,
)

__all__ = [
    "Scenario",
    "Session",
    "UnitChange",
    "close_station",
    "move_station",
    "open_station",
    "rename_scenario",
    "start_session",
    "station_table",
    "undo_edit",
]
