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
    assert '<pre><code class="language-python"><span class="nb">print</span>' in html
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
