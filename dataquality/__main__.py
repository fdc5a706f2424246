from dataquality.cli import main

main()
