from datetime import date

from amparo.core.disclosure import PUBLIC_THRESHOLD, protect_table
from amparo.insights.tables import Category, Dimension, StatTable


def test_a_table_survives_its_json_unchanged() -> None:
    protected = protect_table([[12, 3], [20, 30]], PUBLIC_THRESHOLD)
    table = StatTable(
        key="cases.gbv_type_by_zone",
        title="Incidents by type and zone",
        description="People who consented to statistics, by the type of violence and the zone of the incident.",
        rows=Dimension("gbv_type", "Type of violence"),
        columns=Dimension("zone_type", "Zone"),
        row_categories=(Category("rape", "Rape"), Category("physical_assault", "Physical assault")),
        column_categories=(Category("border", "Border"), Category("urban", "Urban")),
        protected=protected,
        threshold=PUBLIC_THRESHOLD,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        sources=("cases",),
    )
    again = StatTable.from_json(table.to_json())
    assert again == table
    assert again.protected.cells[0][1] is None  # the 3 stays hidden after the round trip
