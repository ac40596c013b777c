"""The application: settings, the composition root, the daemon, the command line, reports,
backtests and optimization. May import every layer; nothing imports it."""
