"""The demo's bulletin and library (load_demo step 110): Red Violeta posts a risk alert for the organisations of
Norte de Santander, a change of a service for Colombia and a training for the region, and shares an orientation
guide (a PDF made here with WeasyPrint) in two versions. Organisational news only, like every post. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.core.pdf import render_pdf
from amparo.core.registry import DemoRun
from amparo.core.uploads import CleanFile
from amparo.directory.models import Place

from . import bulletin_services as services
from .bulletin_models import Audience, BulletinPost, DocumentKind, PostKind

ORGANIZATION = "Red Violeta (demo)"
POSTS = (
    ("gestora@demo.example.org", PostKind.RISK_ALERT, Audience.AREA, "CO54001", 7,
     "Operativos de noche en el centro de Cúcuta",
     "Desde el martes hay operativos de policía de noche en el centro. Las compañeras que hacen trabajo de calle "
     "pueden llevar la tarjeta de la ruta y el número de la línea de la red. Avisen al equipo de acompañamiento si "
     "hay detenciones."),
    ("coordinadora@demo.example.org", PostKind.SERVICE_CHANGE, Audience.COUNTRY, "CO54", 30,
     "Nuevo horario de la consulta amigable",
     "La consulta amigable del hospital atiende ahora también los sábados por la mañana, sin cita, y no pide "
     "documento de identidad. Confirmen en el directorio antes de remitir."),
    ("coordinadora@demo.example.org", PostKind.TRAINING, Audience.REGION, "CO", 45,
     "Taller regional: acompañar sin revictimizar",
     "Taller en línea para equipos de acompañamiento de la región, en español y portugués. Inscripciones con la "
     "coordinación de cada organización."),
)  # fmt: skip
GUIDE = """<html lang="es"><head><meta charset="utf-8"><style>body{{font-family:"DejaVu Sans",sans-serif;
font-size:11pt}}h1{{font-size:16pt}}</style></head><body><h1>Guía de acogida (demo, versión {version})</h1>
<p>Material de orientación para equipos de las organizaciones de la red. No contiene datos de ninguna persona.</p>
<ol><li>Escuchar sin juzgar y creerle.</li><li>Preguntar qué necesita ahora y respetar lo que decide.</li>
<li>Explicar la ruta de atención y los tiempos que importan, con la ruta de Amparo para su municipio.</li>
<li>Acordar cómo y cuándo contactarla de forma segura.</li></ol>{extra}</body></html>"""


def _pdf(version: int, extra: str = "") -> bytes:
    return render_pdf(GUIDE.format(version=version, extra=extra))


def load_demo_bulletin(run: DemoRun) -> None:
    organization = Organization.objects.filter(name=ORGANIZATION).first()
    if organization is None or BulletinPost.objects.filter(organization=organization).exists():
        return
    today = timezone.localdate()
    for email, kind, audience, pcode, days, title, body in POSTS:
        author = User.objects.filter(email=email).first()
        place = Place.objects.filter(pcode=pcode).first()
        if author is None or place is None:
            continue
        services.post_publish(
            actor=author, organization=organization,
            data=services.PostInput(kind=kind, title=title, body=body, audience=audience, place=place,
                                    expires_on=today + timedelta(days=days)),
        )  # fmt: skip
    coordinator = User.objects.filter(email="coordinadora@demo.example.org").first()
    country = Place.objects.filter(pcode="CO").first()
    if coordinator is not None and country is not None:
        document = services.document_add(
            actor=coordinator, organization=organization, issued_on=today - timedelta(days=120),
            data=services.DocumentInput(kind=DocumentKind.GUIDE, title="Guía de acogida para equipos",
                                        description="Primeros pasos al acompañar a una sobreviviente.",
                                        language="es", audience=Audience.REGION, place=country),
            clean=CleanFile("guia-acogida-v1.pdf", "application/pdf", _pdf(1)),
        )  # fmt: skip
        services.version_add(
            actor=coordinator, document=document, issued_on=today - timedelta(days=10),
            clean=CleanFile("guia-acogida-v2.pdf", "application/pdf",
                            _pdf(2, "<p>Versión 2: añade el paso de acordar un contacto seguro.</p>")),
        )  # fmt: skip
    run.say("Campaigns: three bulletin posts and a guide in the library (two versions), by Red Violeta.")
    run.say_at_end("  Bulletin between organisations: /staff/campaigns/bulletin/ (library: .../bulletin/library/)")
