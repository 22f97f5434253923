"""Demo places: Colombia and neighbours, with OCHA P-codes (Colombia: DIVIPOLA) and approximate centroids.

(pcode, name, parent pcode, zone, latitude, longitude). Countries and admin1 have no zone.
"""

COUNTRIES = [
    ("CO", "Colombia", None, "", 4.57, -74.30, "America/Bogota"),
    ("EC", "Ecuador", None, "", -1.83, -78.18, "America/Guayaquil"),
    ("PE", "Perú", None, "", -9.19, -75.02, "America/Lima"),
]

ADMIN1 = [
    ("CO11", "Bogotá D.C.", "CO", 4.65, -74.10),
    ("CO05", "Antioquia", "CO", 6.70, -75.50),
    ("CO76", "Valle del Cauca", "CO", 3.80, -76.50),
    ("CO54", "Norte de Santander", "CO", 8.00, -72.90),
    ("CO44", "La Guajira", "CO", 11.35, -72.50),
    ("CO81", "Arauca", "CO", 6.55, -71.00),
    ("CO52", "Nariño", "CO", 1.50, -77.85),
    ("CO86", "Putumayo", "CO", 0.45, -76.00),
    ("EC04", "Carchi", "EC", 0.80, -77.90),
    ("EC17", "Pichincha", "EC", -0.20, -78.50),
    ("PE24", "Tumbes", "PE", -3.85, -80.50),
    ("PE15", "Lima", "PE", -12.00, -76.90),
]

ADMIN2 = [
    ("CO54001", "Cúcuta", "CO54", "border", 7.8939, -72.5078),
    ("CO54874", "Villa del Rosario", "CO54", "border", 7.8336, -72.4742),
    ("CO54810", "Tibú", "CO54", "rural", 8.6390, -72.7359),
    ("CO54720", "Sardinata", "CO54", "rural", 8.0826, -72.8009),
    ("CO44430", "Maicao", "CO44", "border", 11.3832, -72.2430),
    ("CO44001", "Riohacha", "CO44", "urban", 11.5444, -72.9072),
    ("CO44847", "Uribia", "CO44", "rural", 11.7139, -72.2659),
    ("CO81001", "Arauca", "CO81", "border", 7.0847, -70.7591),
    ("CO81736", "Saravena", "CO81", "rural", 6.9528, -71.8778),
    ("CO52356", "Ipiales", "CO52", "border", 0.8302, -77.6446),
    ("CO52835", "Tumaco", "CO52", "rural", 1.7986, -78.7642),
    ("CO52227", "Cumbal", "CO52", "rural", 0.9069, -77.7917),
    ("CO86568", "Puerto Asís", "CO86", "rural", 0.5053, -76.4953),
    ("CO11001", "Bogotá", "CO11", "urban", 4.7110, -74.0721),
    ("CO05001", "Medellín", "CO05", "urban", 6.2442, -75.5812),
    ("CO76001", "Cali", "CO76", "urban", 3.4516, -76.5320),
    ("EC0401", "Tulcán", "EC04", "border", 0.8119, -77.7173),
    ("EC1701", "Quito", "EC17", "urban", -0.1807, -78.4678),
    ("PE2401", "Tumbes", "PE24", "border", -3.5669, -80.4515),
    ("PE1501", "Lima", "PE15", "urban", -12.0464, -77.0428),
]
