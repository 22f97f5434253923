"""Reading a query with the vocabulary of needs (content/needs.toml): no database, the shipped file itself."""

from __future__ import annotations

import pytest

from amparo.directory.understanding import VocabularyError, parse_vocabulary, read_query, vocabulary


def needs_of(text: str) -> list[str]:
    return [n.id for n in read_query(text).needs]


def first_urgency(text: str) -> str | None:
    urgent = read_query(text).urgent
    return urgent.kind if urgent else None


def test_the_shipped_vocabulary_loads_and_names_only_shipped_codes() -> None:
    vocab = vocabulary()
    assert len(vocab.needs) >= 30
    assert {"emergency", "crisis", "child", "protection", "clock"} == set(vocab.urgency)


@pytest.mark.parametrize("word", ["violaron", "violó", "violación", "violada", "VIOLACION", "violar", "violasion"])
def test_forms_of_a_word_land_on_the_same_need(word: str) -> None:
    assert "sexual-violence" in needs_of(f"me {word}" if word.endswith(("ron", "ó")) else word)


@pytest.mark.parametrize("word", ["desalojo", "desalojar", "desalojaron", "desalojada"])
def test_eviction_words_land_together(word: str) -> None:
    assert "eviction" in needs_of(word)


@pytest.mark.parametrize(
    ("text", "need"),
    [
        # Spanish, Colombian and Venezuelan everyday words
        ("el arrendador nos quiere echar mañana", "eviction"),
        ("la dueña de la pieza me quiere sacar", "eviction"),
        ("me sacaron las cosas a la calle", "eviction"),
        ("necesito la pastilla", "emergency-contraception"),
        ("estoy sin papeles", "undocumented"),
        ("atienden sin cédula?", "no-id"),
        ("la tomba me pegó", "police"),
        ("el chulo me tiene amenazada", "exploiter"),
        ("me pasaron por la trocha", "migration"),
        ("necesito un abogado para que no me quiten a mi niña", "legal-aid"),
        # Portuguese and Portunhol
        ("fui agredida por um cliente", "violence"),
        ("a camisinha estourou", "exposure"),
        ("preciso de um lugar seguro pra dormir", "shelter"),
        ("o dono da pieza cortou a agua", "eviction"),
        # English
        ("my landlord wants to kick me out", "eviction"),
        ("i need a lawyer", "legal-aid"),
        ("free hiv test", "hiv"),
    ],
)
def test_everyday_phrases_in_three_languages(text: str, need: str) -> None:
    assert need in needs_of(text)


def test_everyday_words_are_ignored_not_guessed() -> None:
    reading = read_query("un tipo me obligó y ahora tengo miedo de estar embarazada")
    assert [n.id for n in reading.needs] == ["sexual-violence", "emergency-contraception"]
    assert [reading.words[i] for i in reading.rest] == ["estar"]  # left for the directory's own words
    assert not reading.corrected


def test_exact_phrases_keep_threats_and_thoughts_of_suicide_apart() -> None:
    assert first_urgency("me quiero matar") == "crisis"
    assert first_urgency("me quieren matar") == "emergency"
    assert first_urgency("mi ex me amenaza con matarme") == "protection"
    assert first_urgency("la dueña me cortó la luz") is None  # "me corto" is not self-harm here


@pytest.mark.parametrize(
    ("text", "kind", "pathway"),
    [
        ("me violaron anoche", "clock", "sexual-violence-72h"),
        ("el man esta afuera de la pieza con un cuchillo", "emergency", "urgent-protection"),
        ("me estupraram e to sangrando muito", "emergency", None),  # then the 72-hour clock, second
        ("no quiero seguir viviendo", "crisis", None),
        ("el padrastro toca a mi hija", "child", "my-children"),
        ("a mi niña la violaron ayer", "child", "my-children"),
        ("my ex is stalking me", "protection", "urgent-protection"),
        ("se me rompio el condon anoche", "clock", "sti-hiv-covid"),
        ("abuso sexual ayer", "clock", "sexual-violence-72h"),
    ],
)
def test_urgency_most_pressing_first(text: str, kind: str, pathway: str | None) -> None:
    urgencies = read_query(text).urgencies
    assert urgencies and urgencies[0][0].kind == kind
    assert urgencies[0][1] == pathway


def test_old_violence_has_no_clock_and_a_child_alone_is_not_danger() -> None:
    assert first_urgency("me violaron hace un mes") is None
    assert first_urgency("custodia de mi hijo") is None
    assert first_urgency("someone is threatening my child") == "child"


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("el de la moto me viene siguiendo", "threat"),
        ("se llevaron a mi hijo pa un grupo armado", "armed-group"),
        ("el dueño del local se quedó con mi pasaporte", "trafficking-situation"),
        ("no nos dejan salir de la casa", "trafficking-situation"),
        ("fui abusada", "sexual-abuse"),
        ("quero a guarda dos meus filhos", "legal-aid"),
        ("o cafetão diz que eu devo pra ele", "trafficking"),
        ("nos quiere botar de la pieza", "eviction"),
        ("landlord is threatening to kick us out", "eviction"),
        ("creo que estoy embarazada y no lo quiero tener", "abortion"),
    ],
)
def test_more_everyday_phrases(text: str, need: str) -> None:
    assert need in needs_of(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tengo ganas de matarme", "crisis"),
        ("mejor me muero", "crisis"),
        ("penso em me matar todo dia", "crisis"),  # "penso" is not "pensão" (an eviction)
        ("i just want to end it", "crisis"),
        ("a mi hija de 13 la quieren poner a trabajar en un bar", "child"),
        ("el padrastro de mi niña la está tocando", "child"),
        ("gang trying to recruit my son", "child"),
        ("los del combo dijeron que si no pago me pelan", "protection"),  # "pelan" is a threat, not "pelados" (kids)
        ("en el pagadiario me van a sacar hoy", "clock"),
        ("landlord says i have to be out by tonight", "clock"),
        ("me apuñaló y estoy botando sangre", "emergency"),
    ],
)
def test_more_situations_put_their_urgency_first(text: str, kind: str) -> None:
    assert first_urgency(text) == kind


@pytest.mark.parametrize(
    ("text", "not_need"),
    [
        ("um cara me forçou a transar", "trans"),  # "transar" (to have sex) is not "trans"
        ("onde faço teste de hiv", "bleeding"),  # "faço" is not "facada"
        ("my daughters stepdad is abusing her", "bleeding"),  # English "her" is not Spanish "herida"
        ("el jibaro me amenazo porque no le quise guardar droga", "child"),  # "guardar" is not "guarda" (custody)
        ("un pelado me robó", "child"),  # a young man, not a child
        ("un chamo me robó", "child"),
    ],
)
def test_words_whose_stems_collide_do_not_add_a_need(text: str, not_need: str) -> None:
    assert not_need not in needs_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "mi marido me engañó con otra",  # cheated on her: not a trafficking lie
        "pagamos la vacuna de la influenza",  # a vaccine, not extortion ("cobrar vacuna")
        "tengo una herida en el pie",
        "necesito ácido fólico",
        "i want to end it with my boyfriend",
        "ela quer entrar na faculdade",
        "vai me pegar na escola",
        "i said no to the job",
        "me toca pagar el arriendo",
    ],
)
def test_everyday_sentences_raise_no_urgency(text: str) -> None:
    assert first_urgency(text) is None


def test_longer_phrases_win_over_their_words() -> None:
    assert needs_of("me quitaron el pasaporte") == ["trafficking-situation"]  # not "migration" for "pasaporte"
    assert needs_of("me violaron mis derechos") == ["ombudsman"]  # not sexual violence
    assert needs_of("renovar el pep") == ["migration"]
    assert needs_of("pep") == ["hiv"]


def test_noise_is_understood_as_nothing() -> None:
    for text in ("hola", "de la que el", "🙏😢", "?????", "12345", "the and of a"):
        reading = read_query(text)
        assert not reading.needs and not reading.urgencies, text


def test_a_long_paste_is_read_up_to_a_limit() -> None:
    reading = read_query("violación " + "palabra " * 5000)
    assert len(reading.words) == 40 and reading.needs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"need": [{"id": "x", "types": ["nope"], "es": ["x"]}]}, "unknown service types"),
        ({"need": [{"id": "x", "facts": ["nope"], "es": ["x"]}]}, "unknown inclusion facts"),
        ({"need": [{"id": "x", "types": ["hiv"]}]}, "at least one phrase"),
        ({"need": [{"id": "x", "types": ["hiv"], "urgent": "soon", "es": ["x"]}]}, "urgent must be one of"),
        ({"need": [{"id": "x", "types": ["hiv"], "urgent": "crisis", "es": ["x"]}]}, "has no [urgency.crisis]"),
        ({"need": [{"id": "x", "types": ["hiv"], "es": ["de la"]}]}, "only common words"),
        ({"need": [{"id": "x", "es": ["algo"]}]}, "a need leads to"),
        ({"need": [{"id": "x", "types": ["hiv"], "es": ["x"], "colour": "red"}]}, "unknown fields"),
        ({"need": [{"id": "x", "types": ["hiv"], "es": ["sida"]}], "ignore": {"es": ["sida"]}}, "also needs"),
    ],
)
def test_a_broken_vocabulary_file_names_the_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(VocabularyError, match=message.replace("[", r"\[")):
        parse_vocabulary(data)
