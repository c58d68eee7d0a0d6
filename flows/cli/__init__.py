"""The command line and terminal UI: commands, progress view, explore, demo."""
