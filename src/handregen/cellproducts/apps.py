from django.apps import AppConfig


class CellproductsConfig(AppConfig):
    name = "handregen.cellproducts"
    label = "cellproducts"
