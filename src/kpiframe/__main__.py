from kpiframe.cli import main

main()
