"""The pure rank logic: thresholds, progress, contrast."""

import pytest

from kudos.ranks import RankInfo, RankTable, contrast_ratio, is_hex_colour

TABLE = RankTable.build(
    [
        RankInfo(id=3, name="Helper", min_points=200),
        RankInfo(id=1, name="New member", min_points=0),
        RankInfo(id=2, name="Contributor", min_points=50),
    ]
)


@pytest.mark.parametrize(
    "points, name",
    [(0, "New member"), (49, "New member"), (50, "Contributor"), (199, "Contributor"), (200, "Helper"), (10**6, "Helper")],
)
def test_rank_is_the_highest_threshold_reached(points, name):
    assert TABLE.rank_for(points).name == name


def test_points_below_every_threshold_have_no_rank():
    assert TABLE.rank_for(-5) is None
    assert RankTable.build([]).rank_for(100) is None


def test_progress_counts_from_the_current_threshold_to_the_next():
    progress = TABLE.progress(125)
    assert (progress.current.name, progress.next.name, progress.needed, progress.percent) == (
        "Contributor", "Helper", 75, 50
    )


def test_progress_at_the_top_rank_is_complete():
    progress = TABLE.progress(500)
    assert progress.next is None and progress.percent == 100


def test_counts_split_members_between_thresholds():
    histogram = {None: 10, 0: 9, 50: 4, 200: 1}
    assert TABLE.counts(histogram) == {None: 1, 1: 5, 2: 3, 3: 1}


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_hex_colour_check_refuses_anything_but_rrggbb():
    assert is_hex_colour("#1f5fbf")
    assert not is_hex_colour("red")
    assert not is_hex_colour("#fff")
    assert not is_hex_colour("#1f5fbf; } body { display:none")
