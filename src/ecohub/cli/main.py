"""The ``ecohub`` command: one Typer app, one sub-command group per domain."""

from __future__ import annotations

import sys

import typer

from ecohub.cli import (
    air,
    alerts,
    catalog,
    enterprise,
    geo,
    hj212,
    hj212_data,
    hj212_ops,
    lake,
    load,
    platform,
    registry,
    review,
    supervise,
    trend,
    users,
    water,
)

app = typer.Typer(
    name="ecohub",
    help="ecohub: open ecological-environment big-data platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
platform.register(app)
hj212_ops.register(hj212.app)
hj212_data.register(hj212.app)
app.add_typer(hj212.app, name="hj212", help="HJ 212 codec, simulator and device tools.")
app.add_typer(load.app, name="load", help="Load station networks and observations from files.")
app.add_typer(air.app, name="air", help="Air quality: AQI and HJ 663 assessment.")
app.add_typer(water.app, name="water", help="Surface water: GB 3838 classes and assessment.")
app.command("trend", help="Mann-Kendall / seasonal Kendall trends with Sen's slope.")(trend.trend)
app.add_typer(registry.app, name="registry", help="The unified fixed-pollution-source registry.")
app.add_typer(supervise.app, name="supervise", help="HJ 212 anomaly and fraud detection.")
users.register(app)
app.add_typer(review.app, name="review", help="Automatic data review of station data.")
app.add_typer(geo.app, name="geo", help="Regions: boundaries, key regions, query by region.")
catalog.register(app)
app.add_typer(alerts.app, name="alerts", help="Alerts: list, acknowledge, close; channels.")

from ecohub.cli import complaints  # noqa: E402  (appended: merges stay easy)

app.add_typer(complaints.app, name="complaints", help="12369 complaints and their hot spots.")
app.add_typer(
    enterprise.app, name="source", help="Source profiles, risk watch list, built before approval."
)
app.add_typer(lake.app, name="lake", help="The data lake: compaction and status.")


def main() -> None:
    from ecohub.settings import SettingsError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except SettingsError as exc:
        # The one place a bad setting is reported: any command may be the first to read them.
        sys.stderr.write(f"error: settings: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
