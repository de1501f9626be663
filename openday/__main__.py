from openday.cli import main

main()
