from django.urls import path

from . import feeds, views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.person_list, name="person-list"),
    path("people/<str:public_id>/", views.person_detail, name="person-detail"),
    path("people/<str:public_id>/feed/", feeds.PersonUpdatesFeed(), name="person-feed"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/<str:public_id>/", views.incident_detail, name="incident-detail"),
    path("figures/", views.figures_page, name="figures"),
    path("feeds/updates/", feeds.UpdatesFeed(), name="updates-feed"),
]
