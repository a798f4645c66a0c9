"""The SVG trend chart: valid XML, gaps for empty months, nothing external."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from service.domain.charts import trend_chart_svg

NS = "{http://www.w3.org/2000/svg}"


def test_chart_draws_lines_with_gaps_and_no_external_references():
    months = [{"period": f"2026-{m:02d}", "csat": c, "nps": n}
              for m, c, n in [(1, 80.0, 20.0), (2, 90.0, 40.0), (3, None, None), (4, 50.0, -10.0),
                              (5, 60.0, 0.0)]]
    svg = trend_chart_svg(months)
    root = ET.fromstring(svg)
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 4  # two metrics, each broken in two by the empty March
    assert len(root.findall(f"{NS}circle")) == 8
    labels = [t.text for t in root.findall(f"{NS}text")]
    assert "26/01" in labels and "26/05" in labels and "CSAT %" in labels
    assert "href" not in svg and "<script" not in svg


def test_chart_of_no_data_is_still_a_chart():
    root = ET.fromstring(trend_chart_svg([{"period": "2026-01", "csat": None, "nps": None}]))
    assert root.findall(f"{NS}polyline") == [] and root.tag == f"{NS}svg"


def test_a_charts_months_carry_the_number_of_answers_behind_them():
    months = [{"period": "2026-01", "csat": 80.0, "nps": 20.0, "responses": 5},
              {"period": "2026-02", "csat": None, "nps": None, "responses": 0}]
    labels = [t.text for t in ET.fromstring(trend_chart_svg(months, counts="responses")).findall(f"{NS}text")]
    assert "n=5" in labels and "n=0" in labels
    assert not any(str(t).startswith("n=") for t in
                   [t.text for t in ET.fromstring(trend_chart_svg(months)).findall(f"{NS}text")])
