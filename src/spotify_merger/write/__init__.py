"""Writing the master playlist(s) safely: journal, exactly-once adds, verify, undo, confirmation."""
