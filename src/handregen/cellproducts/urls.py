from django.urls import path

from handregen.cellproducts import views

app_name = "cellproducts"

urlpatterns = [
    path("lab/", views.lab, name="lab"),
    path("lab/products/<uuid:product_id>/", views.product, name="product"),
    path("lab/products/<uuid:product_id>/receive/", views.receive, name="receive"),
    path("lab/products/<uuid:product_id>/processing/", views.processing, name="processing"),
    path("lab/products/<uuid:product_id>/release/", views.release, name="release"),
    path("lab/products/<uuid:product_id>/discard/", views.discard, name="discard"),
    path("lab/products/<uuid:product_id>/label.pdf", views.label, name="label"),
    path("lab/episodes/<uuid:episode_id>/product/", views.episode_product, name="episode-product"),
    path("patients/<uuid:patient_id>/wristband.pdf", views.wristband, name="wristband"),
]
