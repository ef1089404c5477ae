from variantlab.cli import app

app(prog_name="variantlab")
