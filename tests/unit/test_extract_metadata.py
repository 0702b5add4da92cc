"""Metadata, dates and page kinds on small hand-written pages."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.extract import dates
from services.extract.authors import clean_names
from services.extract.extract import content_hash, extract
from services.extract.language import detect_language
from shared.errors import PermanentError
from shared.models import CleanPage, RawPage

URL = "https://news.example/world/2024/11/15/kupiansk-attack"


def _extract(html: str, paragraphs: tuple[str, ...] = ("Some text.",), url: str = URL):
    raw = RawPage(job_id="j", source="s", url=url, final_url=url, body=html)
    return extract(CleanPage(raw=raw, paragraphs=paragraphs))


@pytest.mark.parametrize("value,expected", [
    ("2024-11-15T06:00:00Z", datetime(2024, 11, 15, 6, tzinfo=UTC)),
    ("2024-11-15T06:00:00+0200", datetime(2024, 11, 15, 6, tzinfo=timezone(timedelta(hours=2)))),
    ("Fri, 15 Nov 2024 06:00:00 GMT", datetime(2024, 11, 15, 6, tzinfo=UTC)),
    ("November 15, 2024 6:05 pm EST",
     datetime(2024, 11, 15, 18, 5, tzinfo=timezone(timedelta(hours=-5)))),
    ("15 November 2024 06:00", datetime(2024, 11, 15, 6)),
    ("not a date", None),
])
def test_dates_keep_their_zone(value: str, expected: datetime | None) -> None:
    assert dates.parse(value) == expected


def test_url_date() -> None:
    assert dates.from_url(URL) == datetime(2024, 11, 15)
    assert dates.from_url("https://news.example/2024/02/30/x") is None


def test_author_names_are_cleaned() -> None:
    assert clean_names(["By MELISSA GOLDIN", "Alice Robb; Guardian staff reporter",
                        "jo@example.com (Jo Bloggs)", "Jo Bloggs", "https://x.example/a/b"]) == [
        "Melissa Goldin", "Alice Robb", "Jo Bloggs"]


def test_meta_tags_when_there_is_no_json_ld() -> None:
    article = _extract("""<html lang="de-DE"><head><title>Titel | Site</title>
        <meta property="og:title" content="Angriff auf Kupiansk">
        <meta property="article:published_time" content="2024-11-15T06:00:00+01:00">
        <meta property="og:url" content="/world/kupiansk">
        <meta name="author" content="Von Anna Schmidt"></head><body></body></html>""")
    assert (article.title, article.language, article.canonical_url) == (
        "Angriff auf Kupiansk", "de", "https://news.example/world/kupiansk")
    assert article.published_at == datetime(2024, 11, 15, 5, tzinfo=UTC)  # stored in UTC
    assert article.date_sources == {"published": "meta"}


def test_url_date_when_the_page_has_none() -> None:
    article = _extract("<html><head><title>t</title></head><body><p>x</p></body></html>")
    assert (article.published_at, article.date_sources) == (
        datetime(2024, 11, 15, tzinfo=UTC), {"published": "url"})


def test_canonical_to_the_home_page_is_ignored() -> None:
    article = _extract('<html><head><link rel="canonical" href="https://news.example/">'
                       "</head><body></body></html>")
    assert article.canonical_url == URL


def test_missing_fields_are_empty_not_invented() -> None:
    raw = RawPage(job_id="j", source="s", url="file.txt", final_url="file.txt",
                  content_type="text/plain", body="Short note.")
    article = extract(CleanPage(raw=raw, paragraphs=("Short note.",)))
    assert (article.title, article.authors, article.published_at, article.language) == (
        None, (), None, None)


def test_content_hash_ignores_whitespace() -> None:
    assert content_hash("a  b\n\nc") == content_hash("a b c")


def test_plain_text_language() -> None:
    assert detect_language("The army said that the attack on the city was repelled by the "
                           "troops and it is not over") == "en"
    assert detect_language("Die Armee sagte, dass der Angriff auf die Stadt von den Truppen "
                           "abgewehrt wurde und es ist nicht vorbei") == "de"


def test_bot_wall_and_index_are_refused_with_their_kind() -> None:
    with pytest.raises(PermanentError) as wall:
        _extract("<html><head><title>Just a moment...</title></head><body>"
                 "<div id='challenge-form'>Checking your browser</div></body></html>")
    assert wall.value.reason == "not_article:bot_wall"
    links = "".join(f"<li><a href='/a/{n}'>Headline number {n} about the war today</a></li>"
                    for n in range(30))
    with pytest.raises(PermanentError) as index:
        _extract(f"<html><head><title>World</title></head><body><ul>{links}</ul></body></html>",
                 paragraphs=("World news",))
    assert index.value.reason == "not_article:index"


def test_article_with_many_related_links_is_still_an_article() -> None:
    links = "".join(f"<li><a href='/a/{n}'>Related headline number {n}</a></li>"
                    for n in range(20))
    body = tuple("A paragraph of the article that carries its own story. " * 6
                 for _ in range(8))
    article = _extract(f"<html><body><article>...</article><ul>{links}</ul></body></html>", body)
    assert article.page_kind == "article"


# The failure classes of the metadata benchmark (bench/extract/METADATA.md), one rule each.

@pytest.mark.parametrize("raw,expected", [
    ("Anna Schmidt und Peter Müller", ["Anna Schmidt", "Peter Müller"]),
    ("Kari Nordmann og Ola Nordmann", ["Kari Nordmann", "Ola Nordmann"]),
    ("Juan Pérez y María López", ["Juan Pérez", "María López"]),
    ("Jean Dupont et Marie Curie", ["Jean Dupont", "Marie Curie"]),
    ("Paolo Rossi e Maria Bianchi", ["Paolo Rossi", "Maria Bianchi"]),
    ("Anna Svensson och Erik Berg", ["Anna Svensson", "Erik Berg"]),
    ("Daniel Boguslaw, Prem Thakker", ["Daniel Boguslaw", "Prem Thakker"]),
    ("Jeremy ScahillRyan GrimDaniel Boguslaw", ["Jeremy Scahill", "Ryan Grim", "Daniel Boguslaw"]),
])
def test_co_authors_are_split_in_every_language(raw: str, expected: list[str]) -> None:
    assert clean_names([raw]) == expected


@pytest.mark.parametrize("raw,expected", [
    ("Mike LaChance", ["Mike LaChance"]),  # a capital inside a surname joins no two people
    ("John E. Smith", ["John E. Smith"]),  # an initial is not the Portuguese "e"
    ("Smith, John", ["John Smith"]),  # "Surname, Given" is one person
    ("Tom Cary, Senior Sports Correspondent and Fiona Parker", ["Tom Cary", "Fiona Parker"]),
])
def test_one_person_stays_one(raw: str, expected: list[str]) -> None:
    assert clean_names([raw]) == expected


@pytest.mark.parametrize("raw,expected", [
    ("Jane Doe (Image: Getty Images)", ["Jane Doe"]),
    ("Jane Doe (Image: Getty", ["Jane Doe"]),  # a credit cut off mid-way
    ("Photograph: Chip Somodevilla/Getty Images", []),
    ("edilson.la.rosa", ["Edilson La Rosa"]),  # a URL slug for a name
    ("Redakcja Forsal.pl", []), ("auto-motor.at Redaktion", []),  # desks, in any language
    ("Marianka Swain Save", ["Marianka Swain"]),  # the bookmark button beside the byline
    ("Donnerstag", []),
    ("SHOW ALL ARTICLES OFHeiko Sauer", []), ("Weitere Beiträge", []),  # author-box links
])
def test_credits_slugs_and_desks_are_no_authors(raw: str, expected: list[str]) -> None:
    assert clean_names([raw]) == expected


def test_site_name_is_no_author_while_the_byline_names_a_person() -> None:
    article = _extract("""<html><head><meta property="og:site_name" content="Daily Example">
        <meta name="author" content="Daily Example"></head><body><h1>Storm hits the coast</h1>
        <div class="author-name">Von Tobias Kuske</div></body></html>""")
    assert article.authors == ("Tobias Kuske",)


def test_site_name_is_the_author_when_its_byline_shows_it() -> None:
    article = _extract("""<html><head><meta property="og:site_name" content="Reuters">
        <meta name="author" content="Reuters"></head><body><h1>Markets open lower today</h1>
        <div class="byline">Reuters March 4, 2024 12:45 PM UTC</div></body></html>""")
    assert article.authors == ("Reuters",)


def test_a_desk_byline_names_nobody_and_other_articles_bylines_do_not_count() -> None:
    article = _extract("""<html><head><meta name="author" content="CNBC.com staff"></head>
        <body><h1>How the list was chosen</h1><div class="related">
        <span class="author">Julia Boorstin</span></div></body></html>""")
    assert article.authors == ()


def test_comment_authors_are_not_the_article_author() -> None:
    article = _extract("""<html><body><h1>Eat well for a healthy gut</h1>
        <span class="author">Ophélie Ostermann</span>
        <section id="comments"><article class="comment"><span class="byline">link78 Le 12/02
        à 11:30</span></article></section></body></html>""")
    assert article.authors == ("Ophélie Ostermann",)


@pytest.mark.parametrize("title,site,expected", [
    ("Storm hits the coast | Daily Example", "Daily Example", "Storm hits the coast"),
    ("Storm hits the coast - WILD UND HUND", None, "Storm hits the coast"),  # host: wildundhund
    ("Storm hits the coast › wildundhund.de", None, "Storm hits the coast"),
    ("Storm hits the coast | Environnement | 23.05.2011", None,
     "Storm hits the coast | Environnement"),
    ("Studen BE - A6 closed for hours", None, "Studen BE - A6 closed for hours"),
])
def test_site_name_and_date_are_cut_off_the_title(title: str, site: str | None,
                                                  expected: str) -> None:
    site_tag = f'<meta property="og:site_name" content="{site}">' if site else ""
    article = _extract(f"<html><head>{site_tag}<title>{title}</title></head><body></body></html>",
                       url="https://www.wildundhund.de/storm")
    assert article.title == expected


def test_the_visible_headline_wins_over_a_shortened_or_older_meta_title() -> None:
    article = _extract("""<html><head>
        <meta property="og:title" content="Letters to Sports: Readers pay tribute to Elliott">
        <title>Letters to Sports: Readers pay tribute to Elliott - Los Angeles Times</title></head>
        <body><h1>Log In</h1><h1>Letters to Sports: Readers recognize Helene Elliott and her
        impact</h1></body></html>""")
    assert article.title == "Letters to Sports: Readers recognize Helene Elliott and her impact"


def test_a_kicker_in_its_own_element_is_not_part_of_the_title() -> None:
    article = _extract("""<html><head><meta property="og:title" content="Retention of title:
        what buyers should know"></head><body><h1><span>Avoiding bad debts</span>
        <span>Retention of title: what buyers should know</span></h1></body></html>""")
    assert article.title == "Retention of title: what buyers should know"


LIVE_BLOG_JSONLD = """<script type="application/ld+json">[
    {"@type": "LiveBlogPosting", "datePublished": "2024-02-29T11:01:04Z"},
    {"@type": "NewsArticle", "datePublished": "2024-03-02T22:28:44Z"}]</script>"""


def test_an_older_first_published_tag_loses_to_the_date_the_page_shows() -> None:
    article = _extract(f"""<html><head>{LIVE_BLOG_JSONLD}</head><body><h1>Brit Awards: live</h1>
        <p>Roisin O'ConnorSaturday 02 March 2024 22:28</p></body></html>""")
    assert article.published_at == datetime(2024, 3, 2, 22, 28, 44, tzinfo=UTC)


def test_without_a_shown_date_the_article_node_keeps_its_date() -> None:
    article = _extract(f"<html><head>{LIVE_BLOG_JSONLD}</head><body><h1>x y</h1></body></html>")
    assert article.published_at == datetime(2024, 2, 29, 11, 1, 4, tzinfo=UTC)


def test_a_time_lost_to_a_day_only_source_comes_back_from_the_dateline() -> None:
    article = _extract("""<html><body><h1>Hate preachers to be barred</h1>
        <ul><li><time datetime="2024-11-15T08:00+0000">8:00am</time> another story</li></ul>
        <time datetime="2024-11-15T20:48+0000">15 November 2024 • 8:48pm</time>
        </body></html>""")
    assert article.published_at == datetime(2024, 11, 15, 20, 48, tzinfo=UTC)
    assert article.date_sources == {"published": "url+dateline"}


def test_a_cms_zero_date_is_no_date() -> None:
    assert dates.parse("1970-01-01T01:00:00+01:00") is None
    assert dates.parse("Fri Feb 18 10:27:24 2022") == datetime(2022, 2, 18, 10, 27, 24)


@pytest.mark.parametrize("html,expected", [
    ('<meta property="article:published_time" content="2024-02-29T08:38:33-05:00">',
     datetime(2024, 2, 29, 13, 38, 33, tzinfo=UTC)),
    # A time without a zone is read in the zone of the page's other dates.
    ('<meta property="article:published_time" content="2024-02-29T09:51:53">'
     '<meta property="article:modified_time" content="2024-02-29T10:00:00+01:00">',
     datetime(2024, 2, 29, 8, 51, 53, tzinfo=UTC)),
])
def test_every_date_is_stored_in_utc(html: str, expected: datetime) -> None:
    article = _extract(f"<html><head>{html}</head><body></body></html>")
    assert article.published_at == expected
    # Equal instants compare equal whatever their offset: the offset itself must be UTC's.
    assert article.published_at is not None and article.published_at.utcoffset() == timedelta(0)
    assert article.modified_at is None or article.modified_at.utcoffset() == timedelta(0)


def test_live_blog_entry_times_are_stored_in_utc() -> None:
    article = _extract("""<html><body><article class="live-entry"><time
        datetime="2024-11-05T20:00:00-05:00">8pm</time><p>First.</p></article>
        <article class="live-entry"><time datetime="2024-11-05T19:30:00-05:00">7:30pm</time>
        <p>Second.</p></article></body></html>""", paragraphs=("First.", "Second."))
    assert [entry.published_at for entry in article.entries] == [
        datetime(2024, 11, 6, 1, tzinfo=UTC), datetime(2024, 11, 6, 0, 30, tzinfo=UTC)]
    assert {entry.published_at.utcoffset() for entry in article.entries
            if entry.published_at} == {timedelta(0)}


@pytest.mark.parametrize("url,expected", [
    # No offset anywhere on the page: a bare time is the site's own country's clock...
    ("https://www.portalspozywczy.pl/handel/eurocash", datetime(2021, 4, 28, 7, 29, tzinfo=UTC)),
    # ... and UTC where the domain names no single-zone country.
    ("https://news.example.com/handel/eurocash", datetime(2021, 4, 28, 9, 29, tzinfo=UTC)),
])
def test_a_bare_time_is_read_in_the_sites_country_zone(url: str, expected: datetime) -> None:
    article = _extract('<html><head><meta property="article:published_time" '
                       'content="2021-04-28T09:29:00"></head><body></body></html>', url=url)
    assert article.published_at == expected
    assert article.published_at is not None and article.published_at.utcoffset() == timedelta(0)


def test_a_bare_day_stays_that_day_in_utc() -> None:
    article = _extract('<html><head><meta name="date" content="2021-11-19"></head>'
                       "<body></body></html>", url="https://evang.at/lockdown")
    assert article.published_at == datetime(2021, 11, 19, tzinfo=UTC)


def test_a_live_blog_without_a_stated_date_is_dated_as_its_page_shows_it() -> None:
    article = _extract("""<html><body><h1>Brit Awards 2024 Live</h1>
        <div class="byline">Marianka Swain <time datetime="2024-03-02T21:44+0000">2 March 2024
        • 9:44pm</time></div>
        <article class="live-entry"><time datetime="2024-03-02T21:43:18Z">9:43PM</time>
        <p>Raye wins Best New Artist.</p></article>
        <article class="live-entry"><time datetime="2024-03-02T17:11:11Z">5:11PM</time>
        <p>The red carpet opens.</p></article></body></html>""",
                       paragraphs=("Raye wins Best New Artist.", "The red carpet opens."))
    assert article.is_live_blog
    assert (article.published_at, article.date_sources["published"]) == (
        datetime(2024, 3, 2, 21, 44, tzinfo=UTC), "dateline")


def test_a_byline_in_the_main_column_counts_whatever_the_column_is_called() -> None:
    article = _extract("""<html><body><div id="sidebar" class="site-content"><article>
        <header><h1>Expert*innen in der Krise</h1><span class="author vcard">Heiko Sauer</span>
        </header></article></div><div class="sidebar"><span class="author">Anna Other</span>
        </div></body></html>""")
    assert article.authors == ("Heiko Sauer",)
