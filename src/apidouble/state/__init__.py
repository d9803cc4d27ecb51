"""State and time, kept outside compiled objects so a reload keeps what did not change."""
