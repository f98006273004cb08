from fieldsignal.cli import main

main()
