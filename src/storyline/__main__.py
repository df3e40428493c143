"""``python -m storyline`` runs the command line."""

from .cli.app import main

main()
