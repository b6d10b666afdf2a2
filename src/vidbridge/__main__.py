from vidbridge.cli import main

main()
