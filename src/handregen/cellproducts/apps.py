from django.apps import AppConfig


class CellproductsConfig(AppConfig):
    name = "handregen.cellproducts"
    label = "cellproducts"

    def ready(self) -> None:
        from handregen.cellproducts.signing import KIND
        from handregen.signatures.kinds import register

        register(KIND)  # what a signature of this app's record covers (signatures imports no app's models)
