"""Support packages (SPEC §11): what a contract promised, what was delivered, what is planned."""
