from django.urls import path

from . import views

app_name = "pathways"
urlpatterns = [
    path("", views.home, name="home"),
    path("routes/<slug:slug>/", views.detail, name="detail"),
    path("routes/<slug:slug>/print/", views.printable, name="print"),
    path("routes/<slug:slug>/card/", views.card, name="card"),
]
