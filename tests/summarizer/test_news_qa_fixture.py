"""Integrity of the team's news reading set (tests/summarizer/fixtures/news_qa.py)."""

from __future__ import annotations

import re

from tests.summarizer.fixtures.news_qa import ARTICLES, ARTICLES_BY_ID, QUESTIONS, NewsArticle


def _words(article: NewsArticle) -> int:
    return len(re.findall(r"\S+", article.text))


def test_at_least_eight_long_articles() -> None:
    """Eight or more articles of 12-20 paragraphs and 600-1,200 words, with unique ids."""
    assert len(ARTICLES) >= 8
    assert len({a.id for a in ARTICLES}) == len(ARTICLES)
    for article in ARTICLES:
        assert 12 <= len(article.paragraphs) <= 20, article.id
        assert 600 <= _words(article) <= 1200, (article.id, _words(article))
        assert article.title and article.outlet
        assert all(p and p == p.strip() and "\n" not in p for p in article.paragraphs), article.id


def test_text_joins_paragraphs_with_blank_lines() -> None:
    """``text`` is the paragraphs joined by one blank line, so a paragraph's offset is computable."""
    article = ARTICLES[0]
    assert article.text.split("\n\n") == list(article.paragraphs)


def test_question_counts() -> None:
    """At least 70 questions, 20 of them impossible, a third answered in paragraph 5 or later."""
    assert len(QUESTIONS) >= 70
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)
    assert len({(q.article_id, q.question) for q in QUESTIONS}) == len(QUESTIONS)
    impossible = [q for q in QUESTIONS if q.impossible]
    assert len(impossible) >= 20
    deep = [q for q in QUESTIONS if q.paragraph is not None and q.paragraph >= 5]
    assert 3 * len(deep) >= len(QUESTIONS)
    assert {q.article_id for q in impossible} == set(ARTICLES_BY_ID)


def test_every_answer_is_verbatim_in_its_paragraph() -> None:
    """Each answer string occurs exactly as written in the article and in the paragraph given."""
    for q in QUESTIONS:
        article = ARTICLES_BY_ID[q.article_id]
        assert q.question.endswith("?"), q.id
        if q.impossible:
            assert q.answers == () and q.paragraph is None, q.id
            continue
        assert q.answers and q.paragraph is not None, q.id
        assert 0 <= q.paragraph < len(article.paragraphs), q.id
        for answer in q.answers:
            assert answer == answer.strip() and answer, q.id
            assert answer in article.paragraphs[q.paragraph], (q.id, answer)
            assert answer in article.text, (q.id, answer)
