from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("people/<str:public_id>/", views.person_detail, name="person-detail"),
    path("incidents/<str:public_id>/", views.incident_detail, name="incident-detail"),
]
