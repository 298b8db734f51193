"""``python -m citybrain.cli``: the command line (same as the ``citybrain`` script)."""

from citybrain.cli import main

main()
