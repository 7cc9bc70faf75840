from html.parser import HTMLParser

import pytest

from community.markdown import render


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _elements(html):
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def test_markdown_renders_emphasis_lists_quotes_and_code():
    html = render("**bold** _em_ ~~gone~~\n\n- one\n- two\n\n> quoted\n\n```python\nprint(1 < 2)\n```")
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<s>gone</s>" in html
    assert "<ul>\n<li>one</li>" in html
    assert "<blockquote>" in html
    # Fenced code with a language is highlighted on the server (Pygments classes).
    assert '<pre tabindex="0"><code class="language-python"><span class="nb">print</span>' in html
    assert '<span class="o">&lt;</span>' in html


def test_tables_keep_their_alignment_and_nothing_else():
    html = render("| a | b |\n|:-|-:|\n| 1 | 2 |")
    assert '<th style="text-align:left">a</th>' in html
    assert '<td style="text-align:right">2</td>' in html


def test_links_get_nofollow_ugc_noopener():
    html = render("[docs](https://example.com/help)")
    assert html == '<p><a href="https://example.com/help" rel="nofollow ugc noopener">docs</a></p>\n'


def test_images_by_https_url_are_kept_and_data_urls_dropped():
    assert '<img src="https://example.com/a.png" alt="shot">' in render("![shot](https://example.com/a.png)")
    html = render("![shot](data:image/png;base64,AAAA)")
    assert "data:" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "[x](https://ok.example \"title\" onmouseover=alert(1))",
        "<svg onload=alert(1)>",
    ],
)
def test_no_script_event_handler_or_javascript_url_survives(source):
    html = render(source)
    assert "<script" not in html.lower()
    for tag, attributes in _elements(html):
        assert tag not in {"script", "iframe", "svg", "div", "style"}, html
        for name, value in attributes.items():
            assert not name.startswith("on"), html
            assert name != "style" or value.startswith("text-align:"), html
            if name in {"href", "src"}:
                assert value.lower().startswith(("http://", "https://", "mailto:")), html


def test_empty_source_renders_empty():
    assert render("") == ""


# --- Bare URLs and highlighted code (issue 15) ----------------------------------------------


def test_bare_urls_become_links_without_their_trailing_punctuation():
    html = render("See https://example.com/help. Or (https://example.org/a_(b)) and www.not-a-link.com")
    assert '<a href="https://example.com/help" rel="nofollow ugc noopener">https://example.com/help</a>.' in html
    assert '(<a href="https://example.org/a_(b)" rel="nofollow ugc noopener">https://example.org/a_(b)</a>)' in html
    assert "www.not-a-link.com" in html and html.count("<a ") == 2


def test_urls_in_code_and_links_are_left_alone():
    html = render("`https://example.com/x` and [docs](https://example.com/y)\n\n```\nhttps://example.com/z\n```")
    assert html.count("<a ") == 1
    assert "<code>https://example.com/x</code>" in html
    assert "https://example.com/z" in html


def test_only_http_urls_are_linked():
    html = render("javascript://alert(1) and ftp://example.com/file")
    assert "<a " not in html


def test_a_long_run_of_url_like_text_renders_quickly():
    import time

    start = time.perf_counter()
    render("https://" + "a" * 19_000 + " " + "http://x " * 100)
    assert time.perf_counter() - start < 1


def test_unknown_or_missing_languages_are_shown_plain():
    assert render("```nosuchlang\nx = 1\n```") == '<pre tabindex="0"><code class="language-nosuchlang">x = 1\n</code></pre>\n'
    assert "<span" not in render("```\nx = 1\n```")


def test_only_pygments_classes_survive_on_spans():
    html = render("```html\n<span class=\"evil\">x</span>\n```")
    assert 'class="evil"' not in html.replace("&quot;evil&quot;", "")
    from community.markdown import sanitize

    assert sanitize('<span class="k">a</span><span class="evil">b</span>') == '<span class="k">a</span><span>b</span>'


def test_our_image_urls_are_kept_and_other_relative_ones_dropped():
    html = render("![a](/images/abcdefghijklmnopqrstuv/shot.png) ![b](/admin/logout/) ![c](data:image/png;base64,AAAA)")
    assert 'src="/images/abcdefghijklmnopqrstuv/shot.png"' in html
    assert "/admin/logout/" not in html and "data:" not in html


def test_the_committed_highlight_stylesheet_is_the_generated_one():
    from pathlib import Path

    from community.highlight import stylesheet

    committed = Path(__file__).resolve().parents[2] / "static" / "peerdesk" / "highlight.css"
    assert committed.read_text() == stylesheet(), "run: python -m community.highlight > static/peerdesk/highlight.css"


def test_every_highlight_colour_has_4_5_to_1_contrast():
    import re

    from community.highlight import DARK_BG, LIGHT_BG, contrast, stylesheet

    light, dark = stylesheet().split("@media (prefers-color-scheme: dark)")
    for part, background in ((light, LIGHT_BG), (dark, DARK_BG)):
        colours = re.findall(r"color: (#[0-9a-f]{6})", part)
        assert colours
        for colour in colours:
            assert contrast(colour, background) >= 4.5, (colour, background)
