"""The search query mix shared by every measurement (HTTP server time, in-process selector, test client).

Pure Python, no Django: the same list of query strings is built from a fixed seed in every process, so the server
and in-process figures are for exactly the same queries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import urlencode

# Free text as people type it: accents, typos, several words, other languages.
TEXTS = (
    "psicóloga",
    "psicologa",
    "Psicólogo",
    "pscologa",
    "vih",
    "VIH prueba",
    "prueba de VIH",
    "denuncia",
    "denucia",
    "denunciar violación",
    "salud mental trans",
    "salud mental",
    "abogada",
    "asesoría jurídica gratis",
    "refugio",
    "casa refugio",
    "violencia sexual",
    "trabajadoras sexuales",
    "migrante sin papeles",
    "desalojo",
    "urgencias",
    "vacuna covid",
    "defensoria del pueblo",
    "proteccion niños",
    "anticoncepción de emergencia",
    "trata de personas",
    "legal aid",
    "saúde mental",
    "hiv test",
    "comisaria familia",
)
# Sentences as survivors write them (a sample of the kinds in bench/search_devset.json, written apart from it):
# they go through the vocabulary of needs and, often, the relaxed tiers.
SENTENCES = (
    "me violaron anoche q hago",
    "un tipo me obligó y ahora tengo miedo de estar embarazada",
    "el arrendador nos quiere echar mañana",
    "necesito un abogado para que no me quiten a mi niña",
    "fui agredida por um cliente",
    "mi ex me sigue y me amenaza",
    "se rompio el condon con un cliente",
    "no tengo papeles y necesito medico",
    "i was raped last night what do i do",
    "preciso de um lugar seguro pra dormir hoje",
    "me quiero matar",
    "el chulo me quito el pasaporte",
    "psicologa gratis para mujeres trans",
    "hola",
    "abogada sin cedula en cucuta",
    "camisinha estourou ontem",
)
NEEDS = (
    "mental-health",
    "post-rape-care",
    "sti-care",
    "hiv",
    "covid19-vaccination",
    "protection-measures",
    "safe-shelter",
    "criminal-complaint",
    "legal-aid",
    "ombudsman",
    "public-oversight",
    "child-protection",
    "anti-trafficking",
    "migration",
    "eviction-help",
    "sexual-reproductive-health",
    "sex-worker-led",
)
FACTS = (
    "no_id_required",
    "serves_irregular_migrants",
    "trans_affirming",
    "sex_worker_friendly",
    "free_of_charge",
    "focal_point_on_site",
    "wheelchair_accessible",
)
# Municipalities (distance order from their centre), departments and countries (filters).
MUNICIPALITIES = ("CO54001", "CO11001", "CO44430", "PE1501", "CO05001", "EC1701", "CO86568", "CO52356")
REGIONS = ("CO54", "CO44", "PE15", "CO")
# Points in cities, at their edges, and far from any service (so the growing bounding boxes are exercised).
POINTS = (
    (7.8939, -72.5078),  # Cúcuta
    (7.9100, -72.4900),
    (4.6500, -74.1000),  # Bogotá
    (11.3832, -72.2430),  # Maicao
    (-12.0464, -77.0428),  # Lima
    (6.2442, -75.5812),  # Medellín
    (0.8119, -77.7173),  # Tulcán
    (-4.2150, -69.9406),  # Leticia: no demo municipality near
    (2.5000, -72.0000),  # Llanos, empty
)


# Warm-up before each measured pass: every WARM_UP_EVERY-th query of the mix (connection, caches, vocabulary).
WARM_UP_EVERY = 10
# The in-process test-client cross-check of the server time runs on every CROSS_CHECK_EVERY-th query.
CROSS_CHECK_EVERY = 5


@dataclass(frozen=True)
class Query:
    kind: str
    params: tuple[tuple[str, str], ...]

    @property
    def query_string(self) -> str:
        return urlencode(self.params)

    @property
    def path(self) -> str:
        return "/es/services/?" + self.query_string


def _q(kind: str, **fields: object) -> Query:
    params: list[tuple[str, str]] = []
    for key, value in fields.items():
        if value is None or value == "" or value is False:
            continue
        if key == "fact":
            assert isinstance(value, tuple | list)
            params += [("fact", str(v)) for v in value]
        elif key == "point":
            assert isinstance(value, tuple)
            params += [("lat", f"{value[0]:.4f}"), ("lon", f"{value[1]:.4f}")]
        elif value is True:
            params.append((key, "on"))
        else:
            params.append((key, str(value)))
    return Query(kind, tuple(params))


def query_mix(seed: int = 2024) -> list[Query]:
    """About 300 queries in 15 kinds (about one in eight a sentence); deterministic."""
    rng = random.Random(seed)
    queries: list[Query] = []
    queries += [_q("text", q=t) for t in TEXTS]
    queries += [_q("sentence", q=t) for t in SENTENCES]
    queries += [_q("sentence+place", q=rng.choice(SENTENCES), place=rng.choice(MUNICIPALITIES)) for _ in range(16)]
    queries += [_q("sentence+point", q=rng.choice(SENTENCES), point=rng.choice(POINTS)) for _ in range(8)]
    queries += [_q("need", need=n) for n in NEEDS]
    queries += [_q("facts", fact=tuple(rng.sample(FACTS, rng.randint(1, 3)))) for _ in range(14)]
    queries += [_q("open-now", open_now=True), _q("open-now", open_now=True, fact=("free_of_charge",))]
    queries += [_q("place", place=p) for p in MUNICIPALITIES + REGIONS]
    queries += [_q("point", point=p) for p in POINTS]
    queries += [_q("text+place", q=rng.choice(TEXTS), place=rng.choice(MUNICIPALITIES)) for _ in range(30)]
    queries += [_q("text+region", q=rng.choice(TEXTS), place=rng.choice(REGIONS)) for _ in range(12)]
    queries += [
        _q(
            "need+place+facts",
            need=rng.choice(NEEDS),
            place=rng.choice(MUNICIPALITIES),
            fact=tuple(rng.sample(FACTS, rng.randint(1, 2))),
        )
        for _ in range(30)
    ]
    queries += [
        _q("text+point+open", q=rng.choice(TEXTS), point=rng.choice(POINTS), open_now=rng.random() < 0.7)
        for _ in range(24)
    ]
    queries += [
        _q("open+place", open_now=True, place=rng.choice(MUNICIPALITIES + REGIONS), need=rng.choice(NEEDS))
        for _ in range(16)
    ]
    queries += [
        _q(
            "everything",
            q=rng.choice(TEXTS),
            need=rng.choice(NEEDS) if rng.random() < 0.5 else None,
            place=rng.choice(MUNICIPALITIES + REGIONS),
            point=rng.choice(POINTS) if rng.random() < 0.4 else None,
            fact=tuple(rng.sample(FACTS, rng.randint(1, 2))),
            open_now=rng.random() < 0.5,
        )
        for _ in range(36)
    ]
    queries += [
        _q("page-2+", q=rng.choice(TEXTS[:12]), place=rng.choice(MUNICIPALITIES), page=rng.randint(2, 5))
        for _ in range(12)
    ]
    queries += [_q("page-2+", need=rng.choice(NEEDS), page=rng.randint(2, 10)) for _ in range(6)]
    return queries
