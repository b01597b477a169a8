"""``python -m dealerhub``: the same as the ``dealerhub`` command."""

from dealerhub.cli import main

main()
