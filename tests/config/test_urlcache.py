"""cached_reverse gives exactly what reverse() gives, for every kind of value."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from config.urlcache import cached_reverse


@pytest.mark.parametrize(
    ("viewname", "kwargs"),
    [
        ("community:thread", {"pk": 7, "slug": "sync-stops"}),
        ("community:thread", {"pk": 10**15, "slug": "slot0x5eed"}),  # looks like a placeholder
        ("community:thread", {"pk": 12, "slug": "under_score-and-Caps9"}),
        ("community:category", {"slug": "billing"}),
        ("community:tag", {"tag": "ios-17"}),
        ("accounts:profile", {"username": "ana.lopez+test@example"}),  # quoted by reverse()
        ("accounts:profile", {"username": "Zoë"}),
    ],
)
def test_the_same_url_as_reverse(viewname, kwargs):
    assert cached_reverse(viewname, **kwargs) == reverse(viewname, kwargs=kwargs)


def test_values_reverse_refuses_are_refused_the_same_way():
    for kwargs in ({"pk": -1, "slug": "x"}, {"pk": 3, "slug": ""}, {"pk": 3, "slug": "two words"}):
        with pytest.raises(NoReverseMatch):
            reverse("community:thread", kwargs=kwargs)
        with pytest.raises(NoReverseMatch):
            cached_reverse("community:thread", **kwargs)


def test_a_script_prefix_is_honoured():
    set_script_prefix("/community/")
    try:
        assert cached_reverse("community:category", slug="billing") == "/community/c/billing/"
    finally:
        set_script_prefix("/")
    assert cached_reverse("community:category", slug="billing") == "/c/billing/"
