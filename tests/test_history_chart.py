"""The progress chart's layout (server/history/chart.py): the legend, filled column by column, never runs
into the source line below it nor the plot above it, in either layout, whatever its labels' lengths."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from server.history import chart


def _spec(labels: list[str], legend: list[str]) -> chart.ProgressSpec:
    lines = [chart.Line(label, [2020, 2022, 2024], [40.0, 50.0, 60.0], chart.MEETING) for label in labels]
    return chart.ProgressSpec(title="Tiến độ thực hiện mục tiêu: Việt Nam (mới có kết quả của 1 trên 34 tỉnh, thành phố)",
                              subtitle="Tỷ lệ xã đăng ký và đạt chuẩn theo từng năm",
                              source="Nguồn: kết quả các năm trước nhập từ danh sách của các tỉnh, danh sách chính thức "
                                     "công bố trên phuhop, danh sách đăng ký.",
                              lines=lines, targets=[chart.TargetMark(2030, 75, chart.TARGET)],
                              target_legend=[(chart.TARGET, text) for text in legend])


SHORT = ["Đạt chuẩn, trước sắp xếp năm 2025", "Đăng ký, trước sắp xếp năm 2025", "Đạt chuẩn, sau sắp xếp",
         "Đăng ký, sau sắp xếp"]
LONG = ["Mục tiêu đạt chuẩn: 65 % vào năm 2025, 75 % vào năm 2030", "Mục tiêu đăng ký: 100 % vào năm 2025"]


@pytest.mark.parametrize("layout", ["phone", "wide"])
@pytest.mark.parametrize("labels, legend", [(SHORT, LONG), (SHORT[:3], LONG), (SHORT, LONG[:1]), (SHORT[:1], [])])
def test_the_legend_keeps_clear_of_the_source_and_the_plot(layout: str, labels: list[str], legend: list[str]) -> None:
    figure = chart.draw(_spec(labels, legend), layout)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    [box] = [legend.get_window_extent(renderer) for legend in figure.legends]
    source = figure.texts[-1].get_window_extent(renderer)
    axes = figure.axes[0].get_tightbbox(renderer)
    assert box.y0 >= source.y1, (box, source)  # pixels from the bottom: the legend is above the source
    assert box.y1 <= axes.y0 + 1, (box, axes)  # … and below the plot with its year labels
