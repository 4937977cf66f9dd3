from burdenshift.cli import main

main()
