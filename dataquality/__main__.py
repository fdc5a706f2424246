from dataquality.cli import run

run()
