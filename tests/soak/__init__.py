"""The fault-injection soak (opt-in: `-m soak`)."""
