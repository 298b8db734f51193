"""``python -m citybrain.warm``: the warmer process (started by the server, see ``citybrain.server``)."""

from citybrain.warm.warmer import main

main()
