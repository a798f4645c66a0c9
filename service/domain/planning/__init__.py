"""Planning (SPEC §10): staff unavailability, busy windows of staff and units, suggested slots;
one module each."""
